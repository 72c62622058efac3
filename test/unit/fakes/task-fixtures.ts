import type { Caller, Task } from '#core/task';
import type { Clock } from '#core/ports';
import type { ProcessingAttempt } from '#core/upload-processing';
import type { TaskLimits } from '#core/task-service';
import { createdTask } from '#test/helpers/tasks';
import type { InMemoryObjectStore } from './in-memory-object-store';
import type { InMemoryTaskRepository } from './in-memory-task-repository';

/** Small limits so tests can cross them with tiny declared sizes. */
export const limits: TaskLimits = {
  maxUploadBytes: 1_000,
  uploadUrlTtlSeconds: 900,
  downloadUrlTtlSeconds: 300,
  uploadWindowHours: 24,
  maxUnfinishedTasks: 5,
  maxDailyUploadBytes: 3_000,
  maxDailyRecuts: 2,
  partBytes: 300,
};
export const pilot: Caller = { sub: 'sub-pilot', username: 'pilot' };
export const rival: Caller = { sub: 'sub-rival', username: 'rival' };

/**
 * The worker tests' starting point: pilot's task 'race.mp4' whose 2 000-byte original is stored (another owner's,
 * or under another key nonce for a second upload, when given).
 */
export async function storedUpload(
  tasks: InMemoryTaskRepository,
  objects: InMemoryObjectStore,
  { owner = pilot, keyNonce = 'nonce' }: { owner?: Caller; keyNonce?: string } = {},
): Promise<Task> {
  await tasks.ensureUser(owner);
  const task = await createdTask(tasks, {
    ownerId: owner.sub,
    fileName: 'race.mp4',
    contentType: 'video/mp4',
    declaredBytes: 2_000,
    uploadExpiresAt: new Date('2026-03-02T12:00:00.000Z'),
    keyNonce,
  });
  objects.objects.set(task.originalKey, 2_000);
  return task;
}

/** A worker's first attempt at a message: 165 s to edit, the default worker's lease. */
export function firstAttempt(clock: Clock, workDir: string): ProcessingAttempt {
  return {
    receiveCount: 1,
    deadline: new Date(clock.now().getTime() + 165_000),
    workDir,
    reclaimAfterSeconds: 210,
  };
}
