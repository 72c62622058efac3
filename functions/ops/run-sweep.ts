import middy from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logger } from '#commons/logger';
import { getSweepRun } from '#commons/composition-root';
import { runSweep } from '#core/task-sweeper';

const deps = getSweepRun();

/**
 * The sweeper's schedule target, outside the VPC (docs/operations.md, "SweepFailed"): runs the sweep inside
 * it (functions/ops/sweep-tasks.ts), puts the uploads it recovered back on the queue with SQS SendMessage, and
 * has the sends recorded inside the VPC. Lambda retries a failed run twice; what a run could not do, the next
 * one finds again.
 */
export const handler = middy<unknown, Awaited<ReturnType<typeof runSweep>>>()
  .use(injectLambdaContext(logger))
  .handler(async () => {
    const report = await runSweep(deps);
    // A recovered upload is one the worker never recorded: an outage or a broken deploy came first.
    if (report.recovered.length > 0)
      logger.warn('Unrecorded uploads queued again', { taskIds: report.recovered });
    return report;
  });
