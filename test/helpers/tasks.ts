import { randomUUID } from 'node:crypto';
import { outputKeys } from '#core/object-keys';
import type { NewTask, TaskQuota, TaskRepository } from '#core/ports';
import type { Caller, Task } from '#core/task';
import { verifiedInDatabase } from './verified-email';

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

/** A task of `owner` awaiting its 1-byte upload (the owner's user row created first). */
export async function awaitingTask(repository: TaskRepository, owner: Caller): Promise<Task> {
  await repository.ensureUser(owner);
  return createdTask(repository, {
    ownerId: owner.sub,
    fileName: 'a.mp4',
    contentType: 'video/mp4',
    declaredBytes: 1,
    uploadExpiresAt: new Date(Date.now() + 60_000),
    keyNonce: randomUUID(),
  });
}

/**
 * A task taken through the worker's transitions to `processed`: published, unless `public` is false or the owner's
 * email is left unverified (`ownerVerified: false`; by default it is verified in the database's mirror first).
 */
export async function publishedTask(
  repository: TaskRepository,
  owner: Caller,
  options: { public?: boolean; ownerVerified?: boolean } = {},
): Promise<Task> {
  await repository.ensureUser(owner);
  if (options.ownerVerified !== false) await verifiedInDatabase(owner);
  const created = await createdTask(repository, {
    ownerId: owner.sub,
    fileName: 'secret-name.mov',
    contentType: 'video/quicktime',
    declaredBytes: 100,
    uploadExpiresAt: new Date(Date.now() + 3_600_000),
    keyNonce: randomUUID(),
    public: options.public,
  });
  await repository.markUploaded(created.originalKey, 100);
  await repository.markProcessing(created.id);
  const { processedKey, thumbnailKey } = outputKeys(created.id);
  const processed = await repository.markProcessed(created.id, {
    processedKey,
    thumbnailKey,
    metadata: {
      durationSeconds: 12.5,
      width: 1280,
      height: 720,
      sizeBytes: 4242,
      processingMs: 1,
      sourceBytesRead: 100,
    },
  });
  if (processed === null) throw new Error('the task did not reach processed');
  return processed;
}
