import type { NewTask, TaskQuota, TaskRepository } from '#core/ports';
import type { Task } from '#core/task';

/** A quota no test setup reaches, for tests about something else than quotas. */
export const UNLIMITED_QUOTA: TaskQuota = {
  maxUnfinishedTasks: Number.MAX_SAFE_INTEGER,
  maxDeclaredBytes: Number.MAX_SAFE_INTEGER,
  windowSeconds: 86_400,
};

/** Creates a task directly through the repository (test setup), failing loudly if a quota refuses it. */
export async function createdTask(repository: TaskRepository, task: NewTask): Promise<Task> {
  const creation = await repository.create(task, UNLIMITED_QUOTA);
  if (!('created' in creation)) throw new Error(`The quota refused a test task: ${creation.refused}`);
  return creation.created;
}
