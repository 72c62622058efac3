import { ForbiddenError } from './errors';
import { abortPendingUploads } from './multipart';
import type {
  AccountPurger,
  AccountRepository,
  IdentityProvider,
  MultipartUploads,
  ObjectStore,
  PurgeResult,
  DeletingTask,
} from './ports';
import type { DeleteAccountRequest } from './schemas';
import { deleteTaskObjects } from './task-service';
import type { Caller } from './task';

/**
 * Tasks whose uploads are aborted and objects deleted at once: a pilot with many videos does not open thousands
 * of requests.
 */
const TASKS_PER_DELETE = 20;

/**
 * `DELETE /api/auth/me` (docs/api.md, "Deleting an account"), outside the VPC: checks the password, has the
 * pilot's data purged inside the VPC, then deletes the Cognito user. Every step is idempotent and the user
 * goes last, so a repeat after any failure finishes the job.
 */
export class AccountService {
  constructor(
    private readonly identity: IdentityProvider,
    private readonly purger: AccountPurger,
  ) {}

  async delete(caller: Caller, request: DeleteAccountRequest): Promise<void> {
    // The username may belong to someone else by now: a new sign-up after this account was deleted.
    const user = await this.identity.findUser(caller.username);
    const exists = user?.sub === caller.sub;
    if (exists) {
      const confirmed = await this.identity.checkPassword({
        username: caller.username,
        password: request.password,
      });
      if (!confirmed) throw new ForbiddenError('The password is incorrect');
    }
    // Without a user there is no password left to check: the deletion already passed that check (the user goes
    // last) or the user was deleted through Cognito itself. The token, signed by the pool and unexpired, still
    // says whose data it is, and purging a deleted account's data is what a repeat is for.
    await this.purger.purge(caller.sub);
    if (exists) await this.identity.deleteUser(caller.username);
  }
}

/**
 * The purge itself, inside the VPC. The identity is marked deleted first, so nothing new can be created for
 * it; unfinished multipart uploads and objects go before the rows that name them, so a failure leaves rows a
 * repeat finds again; and the uploads and objects of the rows deleted go once more, for outputs a worker wrote
 * in between (deterministic keys) and an upload started in between.
 */
export class AccountPurge implements AccountPurger {
  constructor(
    private readonly deps: {
      repository: AccountRepository;
      store: ObjectStore;
      uploads: MultipartUploads;
    },
  ) {}

  async purge(sub: string): Promise<PurgeResult> {
    const { repository } = this.deps;
    await repository.markDeleted(sub);
    await this.deleteObjects(await repository.listTasks(sub));
    const deleted = await repository.deleteData(sub);
    await this.deleteObjects(deleted);
    return { tasks: deleted.length };
  }

  private async deleteObjects(tasks: DeletingTask[]): Promise<void> {
    const { store, uploads } = this.deps;
    for (let start = 0; start < tasks.length; start += TASKS_PER_DELETE) {
      const batch = tasks.slice(start, start + TASKS_PER_DELETE);
      // Aborted before the objects go, as a single task's delete does: no part stays billed until the bucket's
      // lifecycle rule, and no upload completes into a deleted key afterwards.
      await Promise.all(batch.map((task) => abortPendingUploads(uploads, task.originalKey)));
      await deleteTaskObjects(store, batch);
    }
  }
}
