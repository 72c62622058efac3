import middy from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import type pg from 'pg';
import { translatePgError } from '#adapters/pg/errors';
import { migrations } from '#adapters/pg/migrations';
import { grantApplicationRole, runMigrations, type MigrationResult } from '#adapters/pg/migrator';
import { retryWhileResuming } from '#adapters/pg/resume';
import { createPool, type PasswordLogin } from '#commons/clients';
import { migrationConfig, type MigrationConfig } from '#commons/config';
import { ConfigurationError } from '#core/platform-errors';
import { logger } from '#commons/logger';

const config = migrationConfig();

/** What the launcher (functions/ops/migrate-launcher.ts) hands over: the master login, for this invocation only. */
export interface MasterCredentials {
  username: string;
  password: string;
}

/** Checks the event's shape without ever echoing it: it carries a password. */
function masterCredentialsOf(event: unknown): MasterCredentials {
  const { username, password } = (typeof event === 'object' && event !== null ? event : {}) as Record<
    string,
    unknown
  >;
  if (typeof username !== 'string' || username === '' || typeof password !== 'string' || password === '') {
    throw new ConfigurationError('The migration event must carry the master username and password');
  }
  return { username, password };
}

function masterLogin(config: Extract<MigrationConfig, { kind: 'handoff' }>, event: unknown): PasswordLogin {
  const { username, password } = masterCredentialsOf(event);
  return {
    kind: 'password',
    host: config.host,
    port: config.port,
    database: config.databaseName,
    user: username,
    password,
  };
}

/** A deploy may find a serverless database paused: Aurora resumes in about 15 s, 30 s or more after a day asleep. */
const MIGRATION_RESUME_WAIT_MS = 120_000;

async function untilAwake(pool: pg.Pool, autoPause: boolean): Promise<void> {
  await retryWhileResuming(
    async () => {
      try {
        await pool.query('SELECT 1');
      } catch (error) {
        translatePgError(error, { autoPause });
      }
    },
    { waitMs: MIGRATION_RESUME_WAIT_MS },
  );
}

/**
 * Runs the pending migrations: on deploy inside the VPC, as the master user whose credentials the launcher passed
 * in the event (then the IAM-authenticated application role is granted its privileges); on local start with
 * DATABASE_URL. The event is never logged.
 */
export const handler = middy<unknown, MigrationResult>()
  .use(injectLambdaContext(logger, { logEvent: false }))
  .handler(async (event) => {
    const pool = createPool(config.kind === 'direct' ? config.database : masterLogin(config, event));
    try {
      await untilAwake(pool, config.kind === 'direct' ? config.database.autoPause : config.autoPause);
      const result = await runMigrations(pool, migrations);
      if (config.kind === 'handoff') await grantApplicationRole(pool, config.appUser);
      if (result.ahead.length > 0) {
        // A rollback to this release after a newer one migrated: the newer schema keeps this code working.
        logger.warn('The database is ahead of this code: its migrations were left alone', {
          unknownMigrations: result.ahead,
          current: result.current,
        });
      } else logger.info('Migrations done', { ...result });
      return result;
    } finally {
      await pool.end();
    }
  });
