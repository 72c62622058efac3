/**
 * The task functions inside the VPC that functions outside it invoke synchronously (docs/architecture.md,
 * "The VPC boundary"): the retry's transitions (functions/ops/retry-transition.ts) for the retry route, and
 * the sweep (functions/ops/sweep-tasks.ts) for the scheduled function that queues what it recovered.
 */
import type { LambdaClient } from '@aws-sdk/client-lambda';
import type { RetryStart, RetryTransitions, SweepReport, TaskSweep } from '#core/ports';
import {
  type RetryTransitionEvent,
  retryStartResult,
  type SweepEvent,
  sweepReportResult,
} from '#core/schemas';
import type { Caller } from '#core/task';
import * as z from '#core/zod';
import { invokeAcross } from '#adapters/lambda/invoke';

/** Only what the event's schema allows: a caller object may carry more. */
export function callerOf(caller: Caller): Caller {
  return { sub: caller.sub, username: caller.username };
}

export class LambdaRetryTransitions implements RetryTransitions {
  constructor(
    private readonly client: LambdaClient,
    private readonly functionName: string,
  ) {}

  begin(caller: Caller, id: number): Promise<RetryStart> {
    const event: RetryTransitionEvent = { action: 'begin', caller: callerOf(caller), id };
    return invokeAcross(this.client, this.functionName, event, retryStartResult);
  }

  async revert(caller: Caller, id: number): Promise<void> {
    const event: RetryTransitionEvent = { action: 'revert', caller: callerOf(caller), id };
    await invokeAcross(this.client, this.functionName, event, z.null());
  }
}

export class LambdaTaskSweep implements TaskSweep {
  constructor(
    private readonly client: LambdaClient,
    private readonly functionName: string,
  ) {}

  run(): Promise<SweepReport> {
    const event: SweepEvent = {};
    return invokeAcross(this.client, this.functionName, event, sweepReportResult);
  }

  async markRequeued(taskIds: readonly number[]): Promise<void> {
    const event: SweepEvent = { requeued: [...taskIds] };
    await invokeAcross(this.client, this.functionName, event, z.null());
  }
}
