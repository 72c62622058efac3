import pg from 'pg';
import { MigrationError } from '#core/platform-errors';

export interface Migration {
  /** Strictly increasing; a version is applied once and never edited afterwards. */
  version: number;
  name: string;
  sql: string;
}

export interface MigrationResult {
  applied: number[];
  current: number;
  /** Versions in the database that this code does not know (a rollback): nothing was applied. */
  ahead: number[];
}

/** Arbitrary constant shared by every runner of this schema: concurrent deploys/starts queue up on it. */
const ADVISORY_LOCK_KEY = 7_305_118_202;

/**
 * Applies the pending migrations, each in its own transaction, under a session advisory lock so
 * two runners (a deploy and a local start, two test workers) never race. A database that is ahead
 * of the code (it has versions this code does not know) is left alone and named in `ahead`: that is
 * a rollback, which runs this code's migrator again after a newer release migrated, and refusing
 * would fail the rollback itself (UPDATE_ROLLBACK_FAILED). It is safe because every migration keeps
 * the previous release working on the newer schema (docs/spec.md, "Schema changes").
 */
export async function runMigrations(
  pool: pg.Pool,
  migrations: readonly Migration[],
): Promise<MigrationResult> {
  assertOrdered(migrations);
  const client = await pool.connect();
  try {
    await client.query('SELECT pg_advisory_lock($1)', [ADVISORY_LOCK_KEY]);
    try {
      await client.query(`
        CREATE TABLE IF NOT EXISTS schema_migrations (
          version integer PRIMARY KEY,
          name text NOT NULL,
          applied_at timestamptz NOT NULL DEFAULT now()
        )`);
      const { rows } = await client.query<{ version: number }>(
        'SELECT version FROM schema_migrations ORDER BY version',
      );
      const known = new Set(migrations.map((migration) => migration.version));
      const unknown = rows.filter((row) => !known.has(row.version)).map((row) => row.version);
      const current = migrations.at(-1)?.version ?? 0;
      if (unknown.length > 0) return { applied: [], current, ahead: unknown };
      const done = new Set(rows.map((row) => row.version));
      const applied: number[] = [];
      for (const migration of migrations.filter((candidate) => !done.has(candidate.version))) {
        await applyOne(client, migration);
        applied.push(migration.version);
      }
      return { applied, current, ahead: [] };
    } finally {
      await client.query('SELECT pg_advisory_unlock($1)', [ADVISORY_LOCK_KEY]);
    }
  } finally {
    client.release();
  }
}

async function applyOne(client: pg.PoolClient, migration: Migration): Promise<void> {
  await client.query('BEGIN');
  try {
    await client.query(migration.sql);
    await client.query('INSERT INTO schema_migrations (version, name) VALUES ($1, $2)', [
      migration.version,
      migration.name,
    ]);
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK');
    throw new MigrationError(
      `Migration ${migration.version} (${migration.name}) failed: ${error instanceof Error ? error.message : String(error)}`,
      {
        cause: error,
      },
    );
  }
}

function assertOrdered(migrations: readonly Migration[]): void {
  migrations.forEach((migration, index) => {
    const previous = migrations[index - 1];
    if (previous !== undefined && migration.version <= previous.version) {
      throw new MigrationError(
        `Migration versions must increase: ${previous.version} then ${migration.version}`,
      );
    }
  });
}

/** Tables the application may add rows to but never change or remove (migration 12's audit log). */
export const APPEND_ONLY_TABLES = ['audit_log'] as const;

/**
 * On RDS the functions log in as a role authenticated by IAM tokens (rds_iam), not with the master
 * password. The migration function, which holds the master secret, creates that role and grants it
 * exactly the data privileges the app needs.
 */
export async function grantApplicationRole(pool: pg.Pool, role: string): Promise<void> {
  const identifier = pg.escapeIdentifier(role);
  await pool.query(`
    DO $$ BEGIN
      IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = ${pg.escapeLiteral(role)}) THEN
        CREATE ROLE ${identifier} LOGIN;
      END IF;
    END $$`);
  await pool.query(`GRANT rds_iam TO ${identifier}`);
  await pool.query(`GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO ${identifier}`);
  await pool.query(`GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO ${identifier}`);
  for (const table of APPEND_ONLY_TABLES)
    await pool.query(`REVOKE UPDATE, DELETE, TRUNCATE ON ${pg.escapeIdentifier(table)} FROM ${identifier}`);
}
