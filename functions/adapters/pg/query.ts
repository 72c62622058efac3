import type pg from 'pg';
import { translatePgError, type PgErrorContext } from '#adapters/pg/errors';
import { retryWhileResuming, type ResumeWait } from '#adapters/pg/resume';
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
 * free of a row write.
 */
export async function ensureUser(
  pool: Pick<pg.Pool, 'query'>,
  caller: Caller,
  options: PgQueryOptions = ALWAYS_ON,
): Promise<void> {
  await queryRows(
    pool,
    `INSERT INTO users (id, username) VALUES ($1, $2)
     ON CONFLICT (id) DO UPDATE SET username = EXCLUDED.username WHERE users.username <> EXCLUDED.username`,
    [caller.sub, caller.username],
    options,
  );
}
