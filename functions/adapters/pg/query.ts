import type pg from 'pg';
import { translatePgError } from '#adapters/pg/errors';
import type { Caller } from '#core/task';

/** One statement on the pool; driver errors become domain errors (translatePgError). */
export async function queryRows<Row extends pg.QueryResultRow>(
  pool: pg.Pool,
  sql: string,
  values: unknown[],
): Promise<Row[]> {
  try {
    return (await pool.query<Row>(sql, values)).rows;
  } catch (error) {
    return translatePgError(error);
  }
}

/**
 * Creates the users row of a Cognito identity if it does not exist yet (pilots before their first
 * task, voters before their first vote). The WHERE keeps the hot path (existing user, same name)
 * free of a row write.
 */
export async function ensureUser(pool: pg.Pool, caller: Caller): Promise<void> {
  await queryRows(
    pool,
    `INSERT INTO users (id, username) VALUES ($1, $2)
     ON CONFLICT (id) DO UPDATE SET username = EXCLUDED.username WHERE users.username <> EXCLUDED.username`,
    [caller.sub, caller.username],
  );
}
