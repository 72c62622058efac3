/**
 * Expensive clients, created once per function instance (cold start) and reused by every
 * invocation. Factories take explicit configuration so tests can build their own; the memoized
 * getters read the environment, so an entry file that never asks for the database never needs
 * database settings.
 */
import { CognitoIdentityProviderClient } from '@aws-sdk/client-cognito-identity-provider';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { MediaConvertClient } from '@aws-sdk/client-mediaconvert';
import { S3Client } from '@aws-sdk/client-s3';
import { SQSClient } from '@aws-sdk/client-sqs';
import { Signer } from '@aws-sdk/rds-signer';
import pg from 'pg';
import {
  DATABASE_CONNECT_TIMEOUT_MS,
  databaseConfig,
  POOL_IDLE_TIMEOUT_MS,
  identityConfig,
  lambdaConfig,
  mediaConvertConfig,
  region,
  storageConfig,
  type DatabaseConfig,
  type IdentityConfig,
  type LambdaConfig,
  type MediaConvertConfig,
  type StorageConfig,
} from '#commons/config';
import { atInvocationEnd } from '#commons/invocation-end';
import { logger } from '#commons/logger';

/** Master credentials handed to the migration function for one invocation; never read from the environment. */
export interface PasswordLogin {
  kind: 'password';
  host: string;
  port: number;
  database: string;
  user: string;
  password: string;
}

/** RDS and Aurora certificates chain to the bundle that NODE_EXTRA_CA_CERTS adds to Node's store. */
const VERIFIED_TLS = { rejectUnauthorized: true } as const;

/**
 * A pool of one: a Lambda instance serves one request at a time, and the concurrency caps of the
 * stack are computed as (functions × 1) connections.
 */
export function createPool(config: DatabaseConfig | PasswordLogin): pg.Pool {
  const common = {
    max: 1,
    connectionTimeoutMillis: DATABASE_CONNECT_TIMEOUT_MS,
    idleTimeoutMillis: POOL_IDLE_TIMEOUT_MS,
    statement_timeout: 15_000,
  };
  const pool =
    config.kind === 'url'
      ? new pg.Pool({ ...common, connectionString: config.connectionString })
      : config.kind === 'iam'
        ? iamPool(config, common)
        : passwordPool(config, common);
  // An idle connection dropped by the server must not crash the process; the next query reconnects.
  pool.on('error', (error: Error & { code?: string }) => {
    // Not the error object itself: pg attaches its client (connection parameters included) to it.
    logger.warn('Idle PostgreSQL connection closed', {
      error: { name: error.name, message: error.message, code: error.code },
    });
  });
  return pool;
}

function iamPool(config: Extract<DatabaseConfig, { kind: 'iam' }>, common: pg.PoolConfig): pg.Pool {
  const signer = new Signer({
    hostname: config.host,
    port: config.port,
    username: config.user,
    region: config.region,
  });
  return new pg.Pool({
    ...common,
    host: config.host,
    port: config.port,
    database: config.database,
    user: config.user,
    // IAM tokens live 15 minutes; pg asks for the password on every new connection.
    password: () => signer.getAuthToken(),
    ssl: VERIFIED_TLS,
  });
}

function passwordPool(login: PasswordLogin, common: pg.PoolConfig): pg.Pool {
  const { host, port, database, user, password } = login;
  return new pg.Pool({ ...common, host, port, database, user, password, ssl: VERIFIED_TLS });
}

/**
 * Closes the pool's idle connections now. A frozen Lambda environment runs no timers, so the pool's idle timeout
 * cannot close a connection between invocations; a database that pauses only while no connection is open
 * (Aurora Serverless v2 at 0 ACU) needs it closed before the function returns. With `max: 1` and one request at a
 * time, every connection is idle here.
 */
async function closeIdleConnections(pool: pg.Pool): Promise<void> {
  while (pool.idleCount > 0) {
    const client = await pool.connect();
    // end() first and await it, so the server has seen the goodbye before the environment freezes; the
    // release then drops the ended client from the pool.
    await client.end();
    client.release();
  }
}

export function createS3Client(config: StorageConfig): S3Client {
  return new S3Client({
    region: config.region,
    endpoint: config.endpoint,
    forcePathStyle: config.forcePathStyle,
    // Plain Content-Length uploads (no aws-chunked trailers) keep every S3-compatible store working.
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
}

export function createCognitoClient(config: IdentityConfig): CognitoIdentityProviderClient {
  return new CognitoIdentityProviderClient({ region: config.region, endpoint: config.endpoint });
}

function createLambdaClient(config: LambdaConfig): LambdaClient {
  return new LambdaClient({ region: config.region, endpoint: config.endpoint });
}

/**
 * MediaConvert's regional endpoint (mediaconvert.<region>.amazonaws.com), which the SDK resolves by
 * default: no DescribeEndpoints call, whose low rate limit AWS warns about.
 */
export function createMediaConvertClient(config: Pick<MediaConvertConfig, 'region'>): MediaConvertClient {
  return new MediaConvertClient({ region: config.region });
}

/** Memoizes a factory: the value is built on first use and shared by every later invocation. */
export function once<T>(create: () => T): () => T {
  let value: T | undefined;
  return () => (value ??= create());
}

export const databaseSettings = /* @__PURE__ */ once(() => databaseConfig());

/**
 * The function's pool. On a database that pauses (DB_AUTO_PAUSE), its connection is closed at the end of every
 * invocation, so a frozen warm instance never keeps the database awake (handlers use `invocationEnd()`).
 */
export const databasePool = /* @__PURE__ */ once(() => {
  const settings = databaseSettings();
  const pool = createPool(settings);
  if (settings.autoPause) atInvocationEnd(() => closeIdleConnections(pool));
  return pool;
});

export const s3Client = /* @__PURE__ */ once(() => createS3Client(storageConfig()));
export const cognitoClient = /* @__PURE__ */ once(() => createCognitoClient(identityConfig()));
export const lambdaClient = /* @__PURE__ */ once(() => createLambdaClient(lambdaConfig()));
/** Bounded, so a send that SQS does not answer still leaves the retry route time to undo its transition. */
const SQS_REQUEST_TIMEOUT_MS = 2_000;
const SQS_CONNECTION_TIMEOUT_MS = 1_000;
const SQS_MAX_ATTEMPTS = 2;

export const sqsClient = /* @__PURE__ */ once(
  () =>
    new SQSClient({
      region: region(),
      maxAttempts: SQS_MAX_ATTEMPTS,
      requestHandler: {
        requestTimeout: SQS_REQUEST_TIMEOUT_MS,
        connectionTimeout: SQS_CONNECTION_TIMEOUT_MS,
      },
    }),
);
export const mediaConvertClient = /* @__PURE__ */ once(() => createMediaConvertClient(mediaConvertConfig()));
