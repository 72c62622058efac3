/**
 * Expensive clients, created once per function instance (cold start) and reused by every
 * invocation. Factories take explicit configuration so tests can build their own; the memoized
 * getters read the environment, so an entry file that never asks for the database never needs
 * database settings.
 */
import { CognitoIdentityProviderClient } from '@aws-sdk/client-cognito-identity-provider';
import { MediaConvertClient } from '@aws-sdk/client-mediaconvert';
import { S3Client } from '@aws-sdk/client-s3';
import { Signer } from '@aws-sdk/rds-signer';
import pg from 'pg';
import {
  databaseConfig,
  identityConfig,
  mediaConvertConfig,
  storageConfig,
  type DatabaseConfig,
  type IdentityConfig,
  type MediaConvertConfig,
  type StorageConfig,
} from '#commons/config';
import { logger } from '#commons/logger';

/**
 * A pool of one: a Lambda instance serves one request at a time, and the concurrency caps of the
 * stack are computed as (functions × 1) connections.
 */
export function createPool(config: DatabaseConfig): pg.Pool {
  const common = {
    max: 1,
    connectionTimeoutMillis: 5_000,
    idleTimeoutMillis: 60_000,
    statement_timeout: 15_000,
  };
  const pool =
    config.kind === 'url'
      ? new pg.Pool({ ...common, connectionString: config.connectionString })
      : iamPool(config, common);
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
    // RDS certificates chain to the bundle that NODE_EXTRA_CA_CERTS adds to Node's store.
    ssl: { rejectUnauthorized: true },
  });
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

export const databasePool = /* @__PURE__ */ once(() => createPool(databaseConfig()));
export const s3Client = /* @__PURE__ */ once(() => createS3Client(storageConfig()));
export const cognitoClient = /* @__PURE__ */ once(() => createCognitoClient(identityConfig()));
export const mediaConvertClient = /* @__PURE__ */ once(() => createMediaConvertClient(mediaConvertConfig()));
