import middy from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { stalledTaskSeconds, taskLimits } from '#commons/config';
import { invocationEnd } from '#commons/invocation-end';
import { logger } from '#commons/logger';
import { getMultipartUploads, getObjectStore, getTaskRepository } from '#commons/composition-root';
import { systemClock } from '#core/ports';
import {
  abortAbandonedMultipartUploads,
  failStalledTasks,
  finishDeletes,
  recoverOrExpireUploads,
} from '#core/task-sweeper';

const repository = getTaskRepository();
const store = getObjectStore();
const uploads = getMultipartUploads();
const { uploadWindowHours, uploadUrlTtlSeconds } = taskLimits();
const stalledAfterSeconds = stalledTaskSeconds();
/** Past the upload URL's life and every delivery of the upload's notification: nothing else will record it. */
const recoverAfterSeconds = stalledAfterSeconds + uploadUrlTtlSeconds;
/** Far beyond any API request (29 s): a delete still 'deleting' after this failed half way. */
const STALE_DELETE_SECONDS = 600;

/**
 * Scheduled sweeper (docs/operations.md): recovers uploads whose notification was never recorded,
 * fails uploads that never arrived (and aborts their unfinished multipart parts) and processing that
 * no delivery can still finish, and finishes interrupted deletes.
 */
export const handler = middy<
  unknown,
  { recovered: number; expired: number; aborted: number; stalled: number; purged: number }
>()
  .use(injectLambdaContext(logger))
  .use(invocationEnd())
  .handler(async () => {
    const { recovered, expired } = await recoverOrExpireUploads({
      repository,
      store,
      clock: systemClock,
      uploadWindowHours,
      recoverAfterSeconds,
    });
    // A recovered upload is one the worker never recorded: an outage or a broken deploy came first.
    if (recovered.length > 0) logger.warn('Unrecorded uploads queued again', { taskIds: recovered });
    logger.info('Abandoned uploads expired', { expired: expired.length });
    const aborted = await abortAbandonedMultipartUploads({ uploads, clock: systemClock, uploadWindowHours });
    logger.info('Abandoned multipart uploads aborted', { aborted });
    const stalledIds = await failStalledTasks({ repository, store, stalledAfterSeconds });
    // Each one is a delivery that died without a trace in the task: worth a look at the worker's logs and the DLQ.
    if (stalledIds.length > 0)
      logger.warn('Stalled tasks failed', { taskIds: stalledIds, stalledAfterSeconds });
    const purged = await finishDeletes({
      repository,
      store,
      uploads,
      olderThanSeconds: STALE_DELETE_SECONDS,
    });
    if (purged.length > 0) logger.warn('Interrupted deletes finished', { taskIds: purged });
    return {
      recovered: recovered.length,
      expired: expired.length,
      aborted,
      stalled: stalledIds.length,
      purged: purged.length,
    };
  });
