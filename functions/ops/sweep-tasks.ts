import middy from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { stalledTaskSeconds, taskLimits } from '#commons/config';
import { invocationEnd } from '#commons/invocation-end';
import { logger } from '#commons/logger';
import { getObjectStore, getTaskRepository } from '#commons/composition-root';
import { systemClock } from '#core/ports';
import { expireAbandonedUploads, failStalledTasks } from '#core/task-sweeper';

const repository = getTaskRepository();
const store = getObjectStore();
const { uploadWindowHours } = taskLimits();
const stalledAfterSeconds = stalledTaskSeconds();

/**
 * Scheduled sweeper: uploads that never arrived, and processing that no delivery of the message can
 * still finish (its last one died and went to the DLQ), fail with a readable reason (docs/spec.md §3, §4).
 */
export const handler = middy<unknown, { expired: number; stalled: number }>()
  .use(injectLambdaContext(logger))
  .use(invocationEnd())
  .handler(async () => {
    const expired = await expireAbandonedUploads({ repository, clock: systemClock, uploadWindowHours });
    logger.info('Abandoned uploads expired', { expired });
    const stalledIds = await failStalledTasks({ repository, store, stalledAfterSeconds });
    // Each one is a delivery that died without a trace in the task: worth a look at the worker's logs and the DLQ.
    if (stalledIds.length > 0)
      logger.warn('Stalled tasks failed', { taskIds: stalledIds, stalledAfterSeconds });
    return { expired, stalled: stalledIds.length };
  });
