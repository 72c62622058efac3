import { LambdaServiceException, type LambdaClient } from '@aws-sdk/client-lambda';
import { DatabaseResumingError, ServiceUnavailableError } from '#core/errors';
import { InvokedFunctionError } from '#core/platform-errors';
import type { AccountPurger, PurgeResult } from '#core/ports';
import type { PurgeAccountEvent } from '#core/schemas';
import { invokeSynchronously } from '#adapters/lambda/invoke';

/** Seconds before a retry when the purge function is at its reserved concurrency. */
const THROTTLED_RETRY_AFTER_SECONDS = 5;

/**
 * The purge function inside the VPC (functions/ops/purge-account.ts), invoked synchronously. Its failures
 * come back as Lambda's error payload ({ errorType, errorMessage, trace }): a waking database stays a 503
 * the console understands, anything else is this platform's 500.
 */
export class LambdaAccountPurger implements AccountPurger {
  constructor(
    private readonly client: LambdaClient,
    private readonly functionName: string,
  ) {}

  async purge(sub: string): Promise<PurgeResult> {
    const event: PurgeAccountEvent = { sub };
    let answer;
    try {
      answer = await invokeSynchronously(this.client, this.functionName, JSON.stringify(event));
    } catch (error) {
      if (error instanceof LambdaServiceException && error.name === 'TooManyRequestsException')
        throw new ServiceUnavailableError('The account purge is at its concurrency limit', {
          cause: error,
          retryAfterSeconds: THROTTLED_RETRY_AFTER_SECONDS,
        });
      throw error;
    }
    const payload = JSON.parse(answer.payload) as unknown;
    if (answer.functionError !== undefined) {
      const { errorType, errorMessage } = (payload ?? {}) as { errorType?: unknown; errorMessage?: unknown };
      if (errorType === 'DatabaseResumingError') throw new DatabaseResumingError();
      throw new InvokedFunctionError(
        `${this.functionName} failed (${answer.functionError}): ${String(errorType)}: ${String(errorMessage)}`,
      );
    }
    const { tasks } = (payload ?? {}) as { tasks?: unknown };
    if (typeof tasks !== 'number')
      throw new InvokedFunctionError(`${this.functionName} answered no task count`);
    return { tasks };
  }
}
