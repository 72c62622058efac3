import type pg from 'pg';
import { translatePgError, type PgErrorContext } from '#adapters/pg/errors';
import { retryWhileResuming, type ResumeWait } from '#adapters/pg/resume';
import { UnauthorizedError } from '#core/errors';
import type { Caller } from '#core/task';

/** How the repositories' statements treat a pausing database (DB_AUTO_PAUSE and the API's wait budget). */
export interface PgQueryOptions extends PgErrorContext {
  /** How every statement but the health ping waits for a resuming database. */
  resume: ResumeWait;
}

/** An always-on database: a resuming error (which it never gives) would be answered at once. */
export const ALWAYS_ON: PgQueryOptions = { autoPause: false, resume: { waitMs: 0 } };

/**
 * One statement on the pool; driver errors become domain errors (translatePgError), and a resuming
 * database is waited for within `options.resume`.
 */
export function queryRows<Row extends pg.QueryResultRow>(
  pool: Pick<pg.Pool, 'query'>,
  sql: string,
  values: unknown[],
  options: PgQueryOptions = ALWAYS_ON,
): Promise<Row[]> {
  return retryWhileResuming(async () => {
    try {
      return (await pool.query<Row>(sql, values)).rows;
    } catch (error) {
      return translatePgError(error, options);
    }
  }, options.resume);
}

/**
 * Creates the users row of a Cognito identity if it does not exist yet (pilots before their first
 * task, voters before their first vote). The WHERE keeps the hot path (existing user, same name)
 * free of a row write. A deleted account's identity is refused (migration 5): its tokens outlive it.
 */
export async function ensureUser(
  pool: Pick<pg.Pool, 'query'>,
  caller: Caller,
  options: PgQueryOptions = ALWAYS_ON,
): Promise<void> {
  const [row] = await queryRows<{ deleted: boolean }>(
    pool,
    `WITH deleted AS (SELECT 1 FROM deleted_users WHERE id = $1),
     upserted AS (
       INSERT INTO users (id, username) SELECT $1, $2 WHERE NOT EXISTS (SELECT 1 FROM deleted)
       ON CONFLICT (id) DO UPDATE SET username = EXCLUDED.username WHERE users.username <> EXCLUDED.username
     )
     SELECT EXISTS (SELECT 1 FROM deleted) AS deleted`,
    [caller.sub, caller.username],
    options,
  );
  if (row?.deleted === true) throw new UnauthorizedError('This account has been deleted');
}

/**
 * The pilot's lock: their users row, locked until the transaction ends. A task creation or retry holds it while
 * it counts and writes, and account deletion takes it before it reads the tasks to delete, so each waits for the
 * other and then sees what it committed (READ COMMITTED takes a new snapshot per statement). False when there
 * is no users row.
 */
export async function lockOwner(client: pg.PoolClient, ownerId: string): Promise<boolean> {
  const locked = await client.query('SELECT 1 FROM users WHERE id = $1 FOR UPDATE', [ownerId]);
  return locked.rowCount === 1;
}

/**
 * Runs `work` in one transaction on a client of its own: committed when `keep` accepts the result, rolled
 * back otherwise and on any error (which is translated like a statement's).
 */
export async function inTransaction<T>(
  pool: Pick<pg.Pool, 'connect'>,
  options: PgQueryOptions,
  work: (client: pg.PoolClient) => Promise<T>,
  keep: (result: T) => boolean = () => true,
): Promise<T> {
  let client: pg.PoolClient;
  try {
    client = await pool.connect();
  } catch (error) {
    return translatePgError(error, options);
  }
  try {
    await client.query('BEGIN');
    const result = await work(client);
    await client.query(keep(result) ? 'COMMIT' : 'ROLLBACK');
    return result;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    return translatePgError(error, options);
  } finally {
    client.release();
  }
}
