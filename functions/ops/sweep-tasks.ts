import { stalledTaskSeconds, taskLimits } from '#commons/config';
import { invocableHandler } from '#commons/invocable';
import { logger } from '#commons/logger';
import { getMultipartUploads, getObjectStore, getTaskRepository } from '#commons/composition-root';
import { type SweepReport, systemClock } from '#core/ports';
import { sweepEvent } from '#core/schemas';
import {
  abortAbandonedMultipartUploads,
  failStalledTasks,
  findIdleParkedTasks,
  finishDeletes,
  recoverOrExpireUploads,
} from '#core/task-sweeper';
import { MAX_RECEIVE_COUNT } from '#core/delivery';

const repository = getTaskRepository();
const store = getObjectStore();
const uploads = getMultipartUploads();
const { uploadWindowHours, uploadUrlTtlSeconds } = taskLimits();
const stalledAfterSeconds = stalledTaskSeconds();
/** Past the upload URL's life and every delivery of the upload's notification: nothing else will record it. */
const recoverAfterSeconds = stalledAfterSeconds + uploadUrlTtlSeconds;
/**
 * A parked task no delivery looked at for this long lost its wake-up: the longest two receives of one message are
 * apart (the stall bound's redelivery interval), far longer than the pilot's edits take to end and wake it.
 */
const parkedIdleSeconds = Math.ceil(stalledAfterSeconds / (MAX_RECEIVE_COUNT + 1));
/** Far beyond any API request (29 s): a delete still 'deleting' after this failed half way. */
const STALE_DELETE_SECONDS = 600;

/**
 * The sweep inside the VPC (docs/operations.md), invoked by functions/ops/run-sweep.ts on its schedule: finds
 * uploads whose notification was never recorded (and answers them, for its caller to queue; the caller then
 * invokes it again with the ones it queued), fails uploads that never arrived (and aborts their unfinished
 * multipart parts) and processing that no delivery can still finish, and finishes interrupted deletes.
 */
async function sweep(): Promise<SweepReport> {
  const { recovered, unrecorded, expired } = await recoverOrExpireUploads({
    repository,
    store,
    clock: systemClock,
    uploadWindowHours,
    recoverAfterSeconds,
  });
  // Logged here too: if the send outside fails, these ids are what the runbook works with.
  if (recovered.length > 0)
    logger.warn('Unrecorded uploads found', { taskIds: recovered.map((upload) => upload.taskId) });
  // Sent MAX_RECOVERY_REQUEUES times and never recorded: the worker is broken, or the message always fails.
  if (unrecorded.length > 0) logger.warn('Unrecorded uploads failed', { taskIds: unrecorded });
  logger.info('Abandoned uploads expired', { expired: expired.length });
  const aborted = await abortAbandonedMultipartUploads({ uploads, clock: systemClock, uploadWindowHours });
  logger.info('Abandoned multipart uploads aborted', { aborted });
  const stalled = await failStalledTasks({ repository, store, stalledAfterSeconds });
  // Each one is a delivery that died without a trace in the task: worth a look at the worker's logs and the DLQ.
  if (stalled.length > 0) logger.warn('Stalled tasks failed', { taskIds: stalled, stalledAfterSeconds });
  const purged = await finishDeletes({ repository, store, uploads, olderThanSeconds: STALE_DELETE_SECONDS });
  if (purged.length > 0) logger.warn('Interrupted deletes finished', { taskIds: purged });
  // After the stall rule: a pilot whose last edit it just failed has its parked tasks queued in this same run.
  const unparked = await findIdleParkedTasks({ repository, store, idleSeconds: parkedIdleSeconds });
  if (unparked.length > 0)
    logger.warn('Parked tasks queued again', { taskIds: unparked.map((upload) => upload.taskId) });
  return { recovered, unrecorded, expired, aborted, stalled, purged, unparked };
}

export const handler = invocableHandler(sweepEvent, async (event): Promise<SweepReport | null> => {
  if (!('requeued' in event)) return sweep();
  await repository.markRequeued(event.requeued);
  return null;
});
