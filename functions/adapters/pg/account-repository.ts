import type pg from 'pg';
import { ALWAYS_ON, inTransaction, lockOwner, queryRows, type PgQueryOptions } from '#adapters/pg/query';
import type { AccountRepository, DeletingTask } from '#core/ports';

interface OwnedTaskRow {
  id: string;
  original_key: string;
  original_version_id: string | null;
  revision: number;
}

/** What removing a task's objects needs of its row (also the task repository's deletes). */
export function toDeletingTask(row: OwnedTaskRow): DeletingTask {
  return {
    id: Number(row.id),
    originalKey: row.original_key,
    originalVersionId: row.original_version_id,
    revision: row.revision,
  };
}

/** The columns of {@link toDeletingTask}. */
export const DELETING_TASK_COLUMNS = 'id, original_key, original_version_id, revision';

const OWNED_TASKS = `SELECT ${DELETING_TASK_COLUMNS} FROM tasks WHERE owner_id = $1 ORDER BY id`;

/**
 * A pilot's rows for account deletion. Every table of the pilot's references users with ON DELETE CASCADE
 * (tasks, votes, quota usage), so deleting the users row deletes them all in one statement, and the
 * triggers of migration 4 keep every vote count and standing right as the votes go.
 */
export class PgAccountRepository implements AccountRepository {
  constructor(
    private readonly pool: Pick<pg.Pool, 'query' | 'connect'>,
    private readonly options: PgQueryOptions = ALWAYS_ON,
  ) {}

  async markDeleted(sub: string): Promise<void> {
    await queryRows(
      this.pool,
      'INSERT INTO deleted_users (id) VALUES ($1) ON CONFLICT (id) DO NOTHING',
      [sub],
      this.options,
    );
  }

  async listTasks(ownerId: string): Promise<DeletingTask[]> {
    const rows = await queryRows<OwnedTaskRow>(this.pool, OWNED_TASKS, [ownerId], this.options);
    return rows.map(toDeletingTask);
  }

  /**
   * The pilot's lock first (lockOwner): a task creation holds it while it checks the quota and inserts, so one
   * in flight finishes before the tasks are read, and one that starts later finds no users row and creates
   * nothing. Without a users row there is nothing to delete.
   */
  deleteData(ownerId: string): Promise<DeletingTask[]> {
    return inTransaction(this.pool, this.options, async (client) => {
      await lockOwner(client, ownerId);
      const tasks = await client.query<OwnedTaskRow>(OWNED_TASKS, [ownerId]);
      await client.query('DELETE FROM users WHERE id = $1', [ownerId]);
      return tasks.rows.map(toDeletingTask);
    });
  }
}
