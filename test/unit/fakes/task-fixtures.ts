import type { Caller, Task } from '#core/task';
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

/** The worker tests' starting point: pilot's task 'race.mp4' whose 2 000-byte original is stored. */
export async function storedUpload(
  tasks: InMemoryTaskRepository,
  objects: InMemoryObjectStore,
): Promise<Task> {
  await tasks.ensureUser(pilot);
  const task = await createdTask(tasks, {
    ownerId: pilot.sub,
    fileName: 'race.mp4',
    contentType: 'video/mp4',
    declaredBytes: 2_000,
    uploadExpiresAt: new Date('2026-03-02T12:00:00.000Z'),
    keyNonce: 'nonce',
  });
  objects.objects.set(task.originalKey, 2_000);
  return task;
}
