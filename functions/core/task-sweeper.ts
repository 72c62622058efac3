/**
 * The sweeper's use cases (docs/spec.md §3, docs/operations.md): uploads whose notification
 * was never recorded are recovered, uploads that never arrived and processing that no delivery of
 * the message can still finish end as failed with a readable reason, and deletes interrupted half
 * way are finished. The schedule runs functions/ops/run-sweep.ts outside the VPC, which invokes
 * functions/ops/sweep-tasks.ts inside it and queues what it recovered.
 */
import { taskOutputKeys, UPLOADS_PREFIX } from './object-keys';
import type {
  Clock,
  MultipartUploads,
  ObjectStore,
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

/**
 * `awaiting_upload` tasks created more than `recoverAfterSeconds` ago (past the upload URL's life and
 * every delivery of its notification) or whose upload window closed, and whose upload is in the
 * bucket: the worker never recorded it (database outage, broken deploy, a dead-lettered message).
 * Each is recorded as requeued and returned to be queued again; the task otherwise stays as it is (the
 * worker records the upload when the message arrives). One not recorded by then is found again once
 * `recoverAfterSeconds` have passed since, when every delivery of that message has ended: the next
 * message is then no duplicate of a live one, and a send that failed is repeated. Those whose window
 * closed with nothing uploaded fail.
 */
export async function recoverOrExpireUploads(deps: {
  repository: TaskRepository;
  store: ObjectStore;
  clock: Clock;
  uploadWindowHours: number;
  recoverAfterSeconds: number;
}): Promise<{ recovered: QueuedUpload[]; expired: number[] }> {
  const now = deps.clock.now();
  const recoverBefore = new Date(now.getTime() - deps.recoverAfterSeconds * 1000);
  const candidates = await deps.repository.listAwaitingUpload({
    createdBefore: recoverBefore,
    expiredBy: now,
    requeuedBefore: recoverBefore,
    limit: SWEEP_BATCH,
  });
  const recovered: QueuedUpload[] = [];
  const expired: number[] = [];
  for (const task of candidates) {
    const upload = await deps.store.stat(task.originalKey);
    if (upload !== null) {
      recovered.push({ taskId: task.id, key: task.originalKey, sizeBytes: upload.sizeBytes });
    } else if (task.uploadExpiresAt <= now) {
      const failed = await deps.repository.markFailed(
        task.id,
        abandonedUploadReason(deps.uploadWindowHours),
        'no-upload',
      );
      if (failed !== null) expired.push(task.id);
    }
  }
  await deps.repository.markRequeued(recovered.map((upload) => upload.taskId));
  return { recovered, expired };
}

/**
 * The scheduled sweep (functions/ops/run-sweep.ts, outside the VPC): the sweep inside the VPC, then the
 * uploads it recovered back on the queue with SQS SendMessage. Returns the report with the recovered
 * tasks' ids; rejects (after queueing what SQS accepted) when some could not be queued, which the next
 * sweep repeats.
 */
export async function runSweep(deps: {
  sweep: TaskSweep;
  queue: UploadQueue;
}): Promise<Omit<SweepReport, 'recovered'> & { recovered: number[] }> {
  const report = await deps.sweep.run();
  await deps.queue.send(report.recovered);
  return { ...report, recovered: report.recovered.map((upload) => upload.taskId) };
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
  for (const task of failed) await deps.store.deleteMany(taskOutputKeys(task.id));
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
