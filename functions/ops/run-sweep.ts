import middy from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logger } from '#commons/logger';
import { getSweepRun } from '#commons/composition-root';
import { runSweep } from '#core/task-sweeper';

const deps = getSweepRun();

/**
 * The sweeper's schedule target, outside the VPC (docs/operations.md, "The sweeper"): runs the sweep inside
 * it (functions/ops/sweep-tasks.ts) and puts the uploads it recovered back on the queue with SQS SendMessage.
 * A failure is logged and the next run repeats it; the schedule also retries the run twice.
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
