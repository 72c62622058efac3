import middy from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type pg from 'pg';
import { migrations } from '#adapters/pg/migrations';
import { grantApplicationRole, runMigrations, type MigrationResult } from '#adapters/pg/migrator';
import { createPool } from '#commons/clients';
import { migrationConfig, region } from '#commons/config';
import { ConfigurationError } from '#core/platform-errors';
import { logger } from '#commons/logger';

const config = migrationConfig();

/**
 * The RDS-generated master secret (JSON with host, port, username, password), connected to the
 * application's database: the schema lives where the app connects, whatever the secret's dbname says.
 */
async function masterPool(secretArn: string, databaseName: string): Promise<pg.Pool> {
  const client = new SecretsManagerClient({ region: region() });
  const { SecretString } = await client.send(new GetSecretValueCommand({ SecretId: secretArn }));
  const secret = JSON.parse(SecretString ?? '{}') as Partial<
    Record<'host' | 'username' | 'password', string>
  > & { port?: number };
  const { host, username, password } = secret;
  if (host === undefined || username === undefined || password === undefined) {
    throw new ConfigurationError(`Secret ${secretArn} lacks host, username or password`);
  }
  const url = new URL(`postgres://${host}:${secret.port ?? 5432}/${encodeURIComponent(databaseName)}`);
  url.username = encodeURIComponent(username);
  url.password = encodeURIComponent(password);
  // RDS enforces TLS; the CA bundle comes from NODE_EXTRA_CA_CERTS.
  url.searchParams.set('sslmode', 'verify-full');
  return createPool({ kind: 'url', connectionString: url.toString() });
}

/**
 * Runs the pending migrations: on deploy as a CDK trigger (master secret, then the IAM-authenticated
 * application role is granted its privileges), and on local start with DATABASE_URL.
 */
export const handler = middy<unknown, MigrationResult>()
  .use(injectLambdaContext(logger))
  .handler(async () => {
    const pool =
      config.kind === 'direct'
        ? createPool(config.database)
        : await masterPool(config.secretArn, config.databaseName);
    try {
      const result = await runMigrations(pool, migrations);
      if (config.kind === 'secret') await grantApplicationRole(pool, config.appUser);
      logger.info('Migrations done', { ...result });
      return result;
    } finally {
      await pool.end();
    }
  });
