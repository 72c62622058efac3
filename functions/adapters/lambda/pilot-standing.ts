import type { LambdaClient } from '@aws-sdk/client-lambda';
import type { PilotStandingRecorder } from '#core/ports';
import { type PilotStandingEvent, pilotStandingResult } from '#core/schemas';
import type { Caller } from '#core/task';
import { invokeAcross } from '#adapters/lambda/invoke';

/**
 * The in-VPC half of suspend and reinstate (functions/ops/pilot-standing.ts), invoked synchronously: a waking
 * database stays a 503 the console understands, a failure is this platform's 500.
 */
export class LambdaPilotStanding implements PilotStandingRecorder {
  constructor(
    private readonly client: LambdaClient,
    private readonly functionName: string,
  ) {}

  record(pilot: Caller, suspension: { reason: string } | null, admin: string): Promise<{ changed: boolean }> {
    const event: PilotStandingEvent = { sub: pilot.sub, username: pilot.username, admin, suspension };
    return invokeAcross(this.client, this.functionName, event, pilotStandingResult);
  }
}
