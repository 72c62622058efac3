/**
 * The three backing services (PostgreSQL, S3, Cognito) started together, and the environment the
 * platform's handlers read (the shared contract of functions/commons/config.ts). Used by
 * `npm start` and by the integration and e2e global setups.
 */
import { join } from 'node:path';
import type { S3Event } from 'aws-lambda';
import pg from 'pg';
import { migrations } from '#adapters/pg/migrations';
import { runMigrations } from '#adapters/pg/migrator';
import type { InvokedFunctionVariable } from '#commons/config';
import { NOTIFYING_PREFIXES } from '#core/object-keys';
import { ensureFfmpegBuild } from '#layers/ffmpeg/ffmpeg-build';
import { type CognitoService, startCognito } from './cognito';
import { Mailbox } from './mailbox';
import { type PostgresService, startPostgres } from './postgres';
import { S3RVER_CREDENTIALS, type S3Service, startS3 } from './s3';

export interface BackingPorts {
  postgres: number;
  s3: number;
  cognito: number;
}

export interface BackingOptions {
  ports: BackingPorts;
  stateDir: string;
  database: string;
  /** An existing PostgreSQL server (DATABASE_URL) instead of the embedded one. */
  externalDatabaseUrl?: string;
  /** Drop the database on stop (tests on an external server). */
  temporaryDatabase?: boolean;
  /** Browser origins allowed to upload straight to the bucket. */
  corsOrigins: string[];
  onObjectCreated: (notification: S3Event) => Promise<void>;
}

export interface BackingServices {
  postgres: PostgresService;
  s3: S3Service;
  cognito: CognitoService;
  /** The handlers' environment (see handlerEnvironment). */
  env: Record<string, string>;
  stop(): Promise<void>;
}

export const LOCAL_REGION = 'us-east-1';
export const LOCAL_BUCKET = 'idrl-videos';
/**
 * The functions inside the VPC on AWS that functions outside it invoke, by the variable that names them to their
 * caller: locally each is functions/ops/<name>.ts, and the gateway answers the Invoke calls for them.
 */
export const LOCAL_INVOKED_FUNCTIONS = {
  PURGE_ACCOUNT_FUNCTION: 'purge-account',
  RETRY_TRANSITION_FUNCTION: 'retry-transition',
  SWEEP_FUNCTION: 'sweep-tasks',
  EMAIL_CODES_FUNCTION: 'email-codes',
  PILOT_STANDING_FUNCTION: 'pilot-standing',
} as const satisfies Record<InvokedFunctionVariable, string>;

export function handlerEnvironment(services: {
  postgres: PostgresService;
  s3: S3Service;
  cognito: CognitoService;
}): Record<string, string> {
  // The same pinned build the Lambda layer ships, built on first use (layers/ffmpeg).
  const ffmpeg = ensureFfmpegBuild();
  return {
    DATABASE_URL: services.postgres.url,
    BUCKET_NAME: services.s3.bucket,
    S3_ENDPOINT: services.s3.endpoint,
    S3_FORCE_PATH_STYLE: 'true',
    AWS_REGION: LOCAL_REGION,
    // s3rver verifies SigV4 signatures against its fixed key; cognito-local accepts any.
    AWS_ACCESS_KEY_ID: S3RVER_CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: S3RVER_CREDENTIALS.secretAccessKey,
    USER_POOL_ID: services.cognito.userPoolId,
    USER_POOL_CLIENT_ID: services.cognito.clientId,
    COGNITO_ENDPOINT: services.cognito.endpoint,
    JWT_ISSUER: services.cognito.issuer,
    JWKS_URI: services.cognito.jwksUri,
    FFMPEG_PATH: ffmpeg.ffmpeg,
    FFPROBE_PATH: ffmpeg.ffprobe,
    // Where Lambda answers (LAMBDA_ENDPOINT) is the gateway's address, which the local stack sets, as it
    // does the upload queue's URL and SQS endpoint (the same gateway).
    ...LOCAL_INVOKED_FUNCTIONS,
  };
}

/** Applies the schema migrations (the same ones the CDK trigger runs on deploy). */
export async function migrate(databaseUrl: string): Promise<number[]> {
  const pool = new pg.Pool({ connectionString: databaseUrl, max: 1 });
  try {
    return (await runMigrations(pool, migrations)).applied;
  } finally {
    await pool.end();
  }
}

/** Stops in reverse order of start; every service is stopped even when one of them fails to. */
async function stopAll(stops: (() => Promise<void>)[]): Promise<void> {
  const results = await Promise.allSettled(stops.reverse().map((stop) => stop()));
  const failed = results.filter((result): result is PromiseRejectedResult => result.status === 'rejected');
  if (failed.length > 0)
    throw new AggregateError(
      failed.map((result) => result.reason as unknown),
      'Some local services did not stop cleanly',
    );
}

function settled<T>(result: PromiseSettledResult<T>): T {
  if (result.status === 'rejected') throw result.reason as Error;
  return result.value;
}

/** Starts the services side by side, migrates the database; on any failure, stops what started. */
export async function startBackingServices(options: BackingOptions): Promise<BackingServices> {
  const started = await Promise.allSettled([
    startPostgres({
      port: options.ports.postgres,
      stateDir: options.stateDir,
      database: options.database,
      externalUrl: options.externalDatabaseUrl,
      temporary: options.temporaryDatabase,
    }),
    startS3({
      port: options.ports.s3,
      stateDir: options.stateDir,
      bucket: LOCAL_BUCKET,
      region: LOCAL_REGION,
      corsOrigins: options.corsOrigins,
      notificationPrefixes: NOTIFYING_PREFIXES,
      onObjectCreated: options.onObjectCreated,
    }),
    startCognito({
      port: options.ports.cognito,
      stateDir: options.stateDir,
      region: LOCAL_REGION,
      userPoolName: 'idrl-local',
      clientName: 'idrl-web',
      mailbox: new Mailbox(join(options.stateDir, 'mailbox.jsonl')),
    }),
  ]);
  const stops = started.flatMap((result) =>
    result.status === 'fulfilled' ? [() => result.value.stop()] : [],
  );
  try {
    const [postgres, s3, cognito] = [settled(started[0]), settled(started[1]), settled(started[2])];
    await migrate(postgres.url);
    return {
      postgres,
      s3,
      cognito,
      env: handlerEnvironment({ postgres, s3, cognito }),
      stop: () => stopAll(stops),
    };
  } catch (error) {
    await stopAll(stops).catch(() => undefined);
    throw error;
  }
}
