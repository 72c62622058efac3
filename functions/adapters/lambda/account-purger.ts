import type { LambdaClient } from '@aws-sdk/client-lambda';
import type { AccountPurger, PurgeResult } from '#core/ports';
import { type PurgeAccountEvent, purgeResult } from '#core/schemas';
import { invokeAcross } from '#adapters/lambda/invoke';

/**
 * The purge function inside the VPC (functions/ops/purge-account.ts), invoked synchronously: a waking database
 * stays a 503 the console understands, a failure is this platform's 500.
 */
export class LambdaAccountPurger implements AccountPurger {
  constructor(
    private readonly client: LambdaClient,
    private readonly functionName: string,
  ) {}

  purge(sub: string): Promise<PurgeResult> {
    const event: PurgeAccountEvent = { sub };
    return invokeAcross(this.client, this.functionName, event, purgeResult);
  }
}
