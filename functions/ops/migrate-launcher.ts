import middy from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { invokeSynchronously, type InvocationAnswer } from '#adapters/lambda/invoke';
import type { MigrationResult } from '#adapters/pg/migrator';
import { migrationLauncherConfig, type MigrationLauncherConfig } from '#commons/config';
import { ConfigurationError } from '#core/platform-errors';
import { logger } from '#commons/logger';
import type { MasterCredentials } from '#functions/ops/migrate';

/** The two AWS calls the launcher makes, as functions so a test can stand in for AWS. */
export interface LauncherPorts {
  /** The SecretString of the secret. */
  readSecret: (secretArn: string) => Promise<string>;
  /** Invokes the function synchronously; `functionError` is set when it threw. */
  invoke: (functionName: string, payload: string) => Promise<InvocationAnswer>;
}

export class MigrationFailedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MigrationFailedError';
  }
}

/**
 * Reads the master secret (this function runs outside the VPC, where Secrets Manager's public endpoint is
 * reachable) and hands the username and password to the in-VPC migration function for one synchronous
 * invocation. Only the migration result comes back; the secret is never logged, returned or stored.
 */
export async function launchMigrations(
  config: Pick<MigrationLauncherConfig, 'secretArn' | 'migrateFunctionArn'>,
  ports: LauncherPorts,
): Promise<MigrationResult> {
  const credentials = parseMasterSecret(await ports.readSecret(config.secretArn), config.secretArn);
  const answer = await ports.invoke(config.migrateFunctionArn, JSON.stringify(credentials));
  const payload = JSON.parse(answer.payload) as unknown;
  if (answer.functionError !== undefined) {
    // Lambda's error payload: { errorType, errorMessage, trace }. The migrator's messages name migrations and SQL
    // errors, never the credentials.
    const { errorType, errorMessage } = (payload ?? {}) as { errorType?: unknown; errorMessage?: unknown };
    throw new MigrationFailedError(`${String(errorType)}: ${String(errorMessage)}`);
  }
  return payload as MigrationResult;
}

function parseMasterSecret(secretString: string, secretArn: string): MasterCredentials {
  let secret: unknown;
  try {
    secret = JSON.parse(secretString);
  } catch {
    throw new ConfigurationError(`Secret ${secretArn} is not JSON`);
  }
  const { username, password } = (secret ?? {}) as Record<string, unknown>;
  if (typeof username !== 'string' || typeof password !== 'string') {
    throw new ConfigurationError(`Secret ${secretArn} lacks a username or a password`);
  }
  return { username, password };
}

function awsPorts(region: string): LauncherPorts {
  const secrets = new SecretsManagerClient({ region });
  const lambda = new LambdaClient({ region });
  return {
    readSecret: async (secretArn) => {
      const { SecretString } = await secrets.send(new GetSecretValueCommand({ SecretId: secretArn }));
      return SecretString ?? '';
    },
    invoke: (functionName, payload) => invokeSynchronously(lambda, functionName, payload),
  };
}

/** The CDK trigger's handler: runs on every deploy whose migration code changed (docs/infra.md). */
export const handler = middy<unknown, MigrationResult>()
  .use(injectLambdaContext(logger, { logEvent: false }))
  .handler(async () => {
    const config = migrationLauncherConfig();
    const result = await launchMigrations(config, awsPorts(config.region));
    logger.info('Migrations done', { ...result });
    return result;
  });
