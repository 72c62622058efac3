/**
 * The sweeper's use cases (docs/spec.md §3): uploads that never arrived, and processing that no
 * delivery of the message can still finish, end as failed with a readable reason. The scheduled
 * entry is functions/ops/sweep-tasks.ts.
 */
import { taskOutputKeys } from './object-keys';
import type { Clock, ObjectStore, TaskRepository } from './ports';

function abandonedUploadReason(windowHours: number): string {
  return `upload not received within ${windowHours} h`;
}

/** The sweeper's use case: tasks whose upload never arrived end as failed, with a readable reason. */
export function expireAbandonedUploads(deps: {
  repository: TaskRepository;
  clock: Clock;
  uploadWindowHours: number;
}): Promise<number> {
  return deps.repository.expireAbandonedUploads(
    deps.clock.now(),
    abandonedUploadReason(deps.uploadWindowHours),
  );
}

/** Stored on tasks the sweeper fails; the pilot's only remedy is a new upload. */
export const STALLED_TASK_REASON = 'Processing did not finish; please upload the video again.';

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
