/**
 * The sweeper's use cases (docs/spec.md §3, docs/operations.md): uploads whose notification
 * was never recorded are recovered, uploads that never arrived and processing that no delivery of
 * the message can still finish end as failed with a readable reason, and deletes interrupted half
 * way are finished. The schedule runs functions/ops/run-sweep.ts outside the VPC, which invokes
 * functions/ops/sweep-tasks.ts inside it and queues what it recovered.
 */
import { taskOutputKeys, UPLOADS_PREFIX } from './object-keys';
import { UploadsNotQueuedError } from './platform-errors';
import type {
  Clock,
  MultipartUploads,
  ObjectStore,
  ObjectVersion,
  QueuedUpload,
  SweepReport,
  TaskRepository,
  TaskSweep,
  UploadQueue,
} from './ports';
import { purgeDeletingTask } from './task-service';

/** Tasks looked at per run and use case: bounds one run's duration whatever the backlog. */
const SWEEP_BATCH = 200;

function abandonedUploadReason(windowHours: number): string {
  return `upload not received within ${windowHours} h`;
}

/** Sends of one unrecorded upload before its task fails: an outage's worth of patience, not a loop forever. */
export const MAX_RECOVERY_REQUEUES = 3;

/** Stored on a task whose upload was queued again that often and never recorded; its owner may retry. */
export const UNRECORDED_UPLOAD_REASON = 'Processing did not start; retry it or upload the video again.';

/**
 * `awaiting_upload` tasks created more than `recoverAfterSeconds` ago (past the upload URL's life and
 * every delivery of its notification) or whose upload window closed, and whose upload is in the
 * bucket: the worker never recorded it (database outage, broken deploy, a dead-lettered message).
 * Each is returned to be queued again; the task stays as it is (the worker records the upload when
 * the message arrives, and runSweep records the send). One sent before is found again only once
 * `recoverAfterSeconds` have passed since that send, when every delivery of it has ended, and after
 * MAX_RECOVERY_REQUEUES sends it fails instead (retryable), so an upload in the bucket always ends
 * processed or failed. Those whose window closed with nothing uploaded fail too.
 */
export async function recoverOrExpireUploads(deps: {
  repository: TaskRepository;
  store: ObjectStore;
  clock: Clock;
  uploadWindowHours: number;
  recoverAfterSeconds: number;
}): Promise<{ recovered: QueuedUpload[]; unrecorded: number[]; expired: number[] }> {
  const now = deps.clock.now();
  const recoverBefore = new Date(now.getTime() - deps.recoverAfterSeconds * 1000);
  const candidates = await deps.repository.listAwaitingUpload({
    createdBefore: recoverBefore,
    expiredBy: now,
    requeuedBefore: recoverBefore,
    limit: SWEEP_BATCH,
  });
  const recovered: QueuedUpload[] = [];
  const unrecorded: number[] = [];
  const expired: number[] = [];
  for (const task of candidates) {
    // A multipart completion recorded its version already (recordCompletedUpload): that one is the upload.
    const upload = await deps.store.stat(task.originalKey, task.originalVersionId ?? undefined);
    if (upload !== null) {
      const failed = await deps.repository.failUnrecordedUpload(task.id, {
        ...storedVersion(upload),
        reason: UNRECORDED_UPLOAD_REASON,
        maxRequeues: MAX_RECOVERY_REQUEUES,
      });
      if (failed !== null) unrecorded.push(task.id);
      // The version found is the one the message names: the first post, unless a replay already replaced it (a
      // replay then stands in for a first post whose notification was lost).
      else recovered.push({ taskId: task.id, key: task.originalKey, ...storedVersion(upload) });
    } else if (task.uploadExpiresAt <= now) {
      const failed = await deps.repository.markFailed(
        task.id,
        abandonedUploadReason(deps.uploadWindowHours),
        'no-upload',
      );
      if (failed !== null) expired.push(task.id);
    }
  }
  return { recovered, unrecorded, expired };
}

/**
 * The scheduled sweep (functions/ops/run-sweep.ts, outside the VPC): the sweep inside the VPC, then the
 * uploads it recovered back on the queue with SQS SendMessage, then the sends recorded inside the VPC again
 * (only those SQS accepted: one it refused is found again by the next run). Returns the report with the
 * recovered tasks' ids; rejects when some could not be queued.
 */
export async function runSweep(deps: {
  sweep: TaskSweep;
  queue: UploadQueue;
}): Promise<Omit<SweepReport, 'recovered' | 'unparked'> & { recovered: number[]; unparked: number[] }> {
  const report = await deps.sweep.run();
  const recovered = report.recovered.map((upload) => upload.taskId);
  let refused: UploadsNotQueuedError | undefined;
  try {
    // A parked task's send needs no record: it stays parked until a delivery claims it, and is found again if lost.
    await deps.queue.send([...report.recovered, ...report.unparked]);
  } catch (error) {
    if (!(error instanceof UploadsNotQueuedError)) throw error;
    refused = error;
  }
  const queued = recovered.filter((id) => refused?.taskIds.includes(id) !== true);
  if (queued.length > 0) await deps.sweep.markRequeued(queued);
  if (refused !== undefined) throw refused;
  return { ...report, recovered, unparked: report.unparked.map((upload) => upload.taskId) };
}

/**
 * Parked tasks (docs/worker.md, "A fair worker") that no delivery has looked at for `idleSeconds`: their pilot's
 * ended edit queued them, but the marker or its message was lost, or their pilot's last edit died and was failed
 * by the stall rule. Returned to be queued again; a delivery then claims the task or parks it once more (the
 * message acknowledged either way), so a send is never a step towards the DLQ or a failure.
 */
export async function findIdleParkedTasks(deps: {
  repository: TaskRepository;
  store: ObjectStore;
  idleSeconds: number;
}): Promise<QueuedUpload[]> {
  const parked = await deps.repository.listParked(deps.idleSeconds, SWEEP_BATCH);
  const uploads: QueuedUpload[] = [];
  for (const task of parked) {
    // A vanished upload is still sent: the worker then fails the task as it fails any missing upload.
    const upload = await deps.store.stat(task.originalKey, task.originalVersionId ?? undefined);
    uploads.push({ taskId: task.id, key: task.originalKey, ...storedVersion(upload) });
  }
  return uploads;
}

/** Stored on tasks the sweeper fails; a retry (or a new upload) is the pilot's remedy. */
export const STALLED_TASK_REASON = 'Processing did not finish; retry it or upload the video again.';

/**
 * The sweeper's other use case (docs/spec.md §4, "anything else ends as failed"): a task left 'uploaded' or
 * 'processing' because the last delivery of its message died (timeout, out of memory, init failure)
 * without recording anything, and the queue then dead-lettered the message. `stalledAfterSeconds`
 * must exceed the time any delivery of the message can still be pending or running after the task's
 * last change (docs/worker.md, "Stalled tasks"). Returns the ids of the tasks it failed.
 */
export async function failStalledTasks(deps: {
  repository: TaskRepository;
  store: ObjectStore;
  stalledAfterSeconds: number;
}): Promise<number[]> {
  const failed = await deps.repository.failStalledTasks(deps.stalledAfterSeconds, STALLED_TASK_REASON);
  // A dead attempt may have stored outputs before it died: a failed task owns none. One task at a
  // time keeps the store's parallel deletes bounded whatever the backlog.
  for (const task of failed) await deps.store.deleteMany(taskOutputKeys(task.id, task.revision));
  return failed.map((task) => task.id);
}

/**
 * Deletes whose request failed after the task entered 'deleting' (the store failed, the function
 * timed out) and that nobody repeated: finished here, objects first, then the row. Waiting
 * `olderThanSeconds` leaves deletes in progress to their request. Returns the purged ids.
 */
export async function finishDeletes(deps: {
  repository: TaskRepository;
  store: ObjectStore;
  uploads: MultipartUploads;
  olderThanSeconds: number;
}): Promise<number[]> {
  const stale = await deps.repository.listStaleDeletes(deps.olderThanSeconds, SWEEP_BATCH);
  for (const task of stale) await purgeDeletingTask(deps, task);
  return stale.map((task) => task.id);
}

/**
 * Unfinished multipart uploads older than the upload window (their task has expired or was never
 * resumed) are aborted: their parts are invisible but billed. The bucket lifecycle rule does the
 * same a day later on AWS; the sweeper keeps the local stack and the window honest. Returns how many.
 */
export async function abortAbandonedMultipartUploads(deps: {
  uploads: MultipartUploads;
  clock: Clock;
  uploadWindowHours: number;
}): Promise<number> {
  const cutoff = deps.clock.now().getTime() - deps.uploadWindowHours * 3_600_000;
  const abandoned = (await deps.uploads.listMultipartUploads(UPLOADS_PREFIX)).filter(
    (upload) => upload.initiatedAt.getTime() < cutoff,
  );
  for (const upload of abandoned) await deps.uploads.abortMultipartUpload(upload);
  return abandoned.length;
}

/** What a queued message says of a stored upload: its size and, in a versioned bucket, its version. */
function storedVersion(upload: ObjectVersion | null): Pick<QueuedUpload, 'sizeBytes' | 'versionId'> {
  if (upload === null) return { sizeBytes: 0 };
  return upload.versionId === undefined
    ? { sizeBytes: upload.sizeBytes }
    : { sizeBytes: upload.sizeBytes, versionId: upload.versionId };
}
