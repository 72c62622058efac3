import { describe, expect, it } from 'vitest';
import { AccountPurge, AccountService } from '#core/account-deletion';
import { ForbiddenError } from '#core/errors';
import { taskObjectKeys } from '#core/object-keys';
import type { AccountPurger, AccountRepository, PurgeResult, DeletingTask } from '#core/ports';
import { InMemoryObjectStore } from '#test/unit/fakes/in-memory-object-store';
import { OneAccountIdentity } from '#test/unit/fakes/one-account-identity';

const ACE = { sub: 'sub-1', username: 'ace' };

/** Records the subs purged; fails once when told to. */
class RecordingPurger implements AccountPurger {
  readonly purged: string[] = [];
  failNext = false;

  purge(sub: string): Promise<PurgeResult> {
    if (this.failNext) {
      this.failNext = false;
      return Promise.reject(new Error('purge failed'));
    }
    this.purged.push(sub);
    return Promise.resolve({ tasks: 0 });
  }
}

describe('AccountService.delete', () => {
  it('checks the password, purges the data, then deletes the user', async () => {
    // Prepare
    const identity = new OneAccountIdentity();
    const purger = new RecordingPurger();

    // Act
    await new AccountService(identity, purger).delete(ACE, { password: 'Secret123' });

    // Assess
    expect(identity.calls).toEqual(['findUser ace', 'checkPassword ace', 'deleteUser ace']);
    expect(purger.purged).toEqual(['sub-1']);
  });

  it('refuses a wrong password with ForbiddenError before touching anything', async () => {
    const identity = new OneAccountIdentity();
    const purger = new RecordingPurger();

    const deleting = new AccountService(identity, purger).delete(ACE, { password: 'Wrong1234' });

    await expect(deleting).rejects.toThrow(new ForbiddenError('The password is incorrect'));
    expect(identity.calls).toEqual(['findUser ace', 'checkPassword ace']);
    expect(purger.purged).toEqual([]);
  });

  it('keeps the user when the purge fails, so a repeat with the password finishes the job', async () => {
    const identity = new OneAccountIdentity();
    const purger = new RecordingPurger();
    purger.failNext = true;
    const service = new AccountService(identity, purger);

    await expect(service.delete(ACE, { password: 'Secret123' })).rejects.toThrow('purge failed');
    expect(identity.sub).toBe('sub-1');
    await service.delete(ACE, { password: 'Secret123' });

    expect(purger.purged).toEqual(['sub-1']);
    expect(identity.sub).toBeNull();
  });

  it('purges again without a password once the user is gone, and deletes no user', async () => {
    const identity = new OneAccountIdentity();
    identity.sub = null;
    const purger = new RecordingPurger();

    await new AccountService(identity, purger).delete(ACE, { password: 'whatever' });

    expect(identity.calls).toEqual(['findUser ace']);
    expect(purger.purged).toEqual(['sub-1']);
  });

  it('never deletes another account that holds the username now', async () => {
    const identity = new OneAccountIdentity();
    identity.sub = 'sub-2';
    const purger = new RecordingPurger();

    await new AccountService(identity, purger).delete(ACE, { password: 'Secret123' });

    expect(identity.calls).toEqual(['findUser ace']);
    expect(identity.sub).toBe('sub-2');
    expect(purger.purged).toEqual(['sub-1']);
  });
});

/** One pilot's tasks in memory; records the order of calls. */
class InMemoryAccounts implements AccountRepository {
  readonly calls: string[] = [];
  readonly deleted = new Set<string>();

  constructor(
    private tasks: DeletingTask[],
    /** Tasks that appear between the listing and the deletion (a creation in flight). */
    private readonly arriving: DeletingTask[] = [],
  ) {}

  markDeleted(sub: string): Promise<void> {
    this.calls.push(`markDeleted ${sub}`);
    this.deleted.add(sub);
    return Promise.resolve();
  }

  listTasks(ownerId: string): Promise<DeletingTask[]> {
    this.calls.push(`listTasks ${ownerId}`);
    return Promise.resolve([...this.tasks]);
  }

  deleteData(ownerId: string): Promise<DeletingTask[]> {
    this.calls.push(`deleteData ${ownerId}`);
    const removed = [...this.tasks, ...this.arriving];
    this.tasks = [];
    return Promise.resolve(removed);
  }
}

function task(id: number): DeletingTask {
  return { id, originalKey: `uploads/${id}/nonce`, originalVersionId: null, revision: 1 };
}

describe('AccountPurge.purge', () => {
  it('marks the identity deleted, removes every object of every task and then the rows', async () => {
    // Prepare: 45 tasks (three delete batches) and one created while the purge runs.
    const tasks = Array.from({ length: 45 }, (_, index) => task(index + 1));
    const late = task(99);
    const repository = new InMemoryAccounts(tasks, [late]);
    const store = new InMemoryObjectStore();
    for (const owned of [...tasks, late, task(500)])
      for (const key of taskObjectKeys(owned)) store.objects.set(key, 1);

    // Act
    const result = await new AccountPurge({ repository, store, uploads: store }).purge('sub-1');

    // Assess
    expect(result).toEqual({ tasks: 46 });
    expect(repository.calls).toEqual(['markDeleted sub-1', 'listTasks sub-1', 'deleteData sub-1']);
    expect([...store.objects.keys()]).toEqual(taskObjectKeys(task(500)));
  });

  it("deletes each original's recorded version for good, also of a task created meanwhile", async () => {
    // Prepare: two recorded uploads (one task created while the purge runs) and another pilot's
    const store = new InMemoryObjectStore();
    const [listed, late, other] = [7, 99, 500].map((id) => {
      const owned = task(id);
      return { ...owned, originalVersionId: store.upload(owned.originalKey, 10) };
    });
    if (listed === undefined || late === undefined || other === undefined) throw new Error('three tasks');
    const repository = new InMemoryAccounts([listed], [late]);

    // Act
    await new AccountPurge({ repository, store, uploads: store }).purge('sub-1');

    // Assess
    expect(Object.fromEntries(store.versions)).toEqual({
      [listed.originalKey]: [],
      [late.originalKey]: [],
      [other.originalKey]: [expect.objectContaining({ versionId: other.originalVersionId })],
    });
  });

  it("aborts the unfinished multipart uploads into the pilot's upload keys, also of a task created meanwhile", async () => {
    // Prepare: an upload into a listed task, one into the task created while the purge runs, and another
    // pilot's upload whose key shares the listed task's as a prefix.
    const listed = task(7);
    const late = task(99);
    const repository = new InMemoryAccounts([listed], [late]);
    const store = new InMemoryObjectStore();
    await store.createMultipartUpload({ key: listed.originalKey, contentType: 'video/mp4' });
    await store.createMultipartUpload({ key: late.originalKey, contentType: 'video/mp4' });
    const kept = await store.createMultipartUpload({
      key: `${listed.originalKey}x`,
      contentType: 'video/mp4',
    });

    // Act
    await new AccountPurge({ repository, store, uploads: store }).purge('sub-1');

    // Assess
    expect([...store.multipart.keys()]).toEqual([kept]);
  });

  it('is a no-op for a pilot with nothing left', async () => {
    const repository = new InMemoryAccounts([]);
    const store = new InMemoryObjectStore();

    expect(await new AccountPurge({ repository, store, uploads: store }).purge('sub-1')).toEqual({
      tasks: 0,
    });
    expect(repository.deleted).toEqual(new Set(['sub-1']));
  });
});
