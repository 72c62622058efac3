import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as logs from 'aws-cdk-lib/aws-logs';
import { parseSeasonStarts } from '#core/seasons';
import { DATABASE_OPTIONS } from './constructs/database';
import type { IdrlStackProps } from './stack';
import { DEFAULT_STACK_NAME } from './stack-name';

/** Reads one context value (`app.node.tryGetContext`), so tests can pass a plain object. */
export type ContextReader = (key: string) => unknown;

/**
 * Parses CDK context (`npx cdk deploy -c allowedOrigins=https://a.example,https://b.example`) into typed stack
 * props, rejecting malformed values at synth time. docs/infra.md lists every key.
 */
export function stackPropsFromContext(
  read: ContextReader,
): IdrlStackProps & { stackName: string; waf: boolean } {
  const text = (key: string): string | undefined => {
    const value = read(key);
    if (value === undefined || value === '') return undefined;
    if (typeof value !== 'string' && typeof value !== 'number')
      throw new Error(`Context ${key} must be a string or a number`);
    return String(value);
  };
  const integer = (key: string): number | undefined => {
    const value = text(key);
    if (value === undefined) return undefined;
    const parsed = Number(value);
    if (!Number.isInteger(parsed) || parsed < 0)
      throw new Error(`Context ${key} must be a non-negative integer, got "${value}"`);
    return parsed;
  };

  const positive = (key: string): number | undefined => {
    const value = integer(key);
    if (value === 0) throw new Error(`Context ${key} must be a positive integer, got 0`);
    return value;
  };

  const flag = (key: string): boolean | undefined => {
    const value = text(key);
    if (value === undefined) return undefined;
    if (value !== 'true' && value !== 'false')
      throw new Error(`Context ${key} must be true or false, got "${value}"`);
    return value === 'true';
  };

  const removal = text('removalPolicy') ?? 'retain';
  if (removal !== 'retain' && removal !== 'destroy')
    throw new Error(`Context removalPolicy must be retain or destroy, got "${removal}"`);
  const processor = text('processor') ?? 'ffmpeg';
  if (processor !== 'ffmpeg' && processor !== 'mediaconvert')
    throw new Error(`Context processor must be ffmpeg or mediaconvert, got "${processor}"`);
  const database = text('database') ?? 'rds';
  const option = DATABASE_OPTIONS.find((candidate) => candidate === database);
  if (option === undefined)
    throw new Error(`Context database must be one of ${DATABASE_OPTIONS.join(', ')}, got "${database}"`);
  const instanceType = text('databaseInstanceType');
  const workerTimeoutSeconds = integer('workerTimeoutSeconds');
  const logRetentionDays = integer('logRetentionDays');
  const logRetention = Object.values(logs.RetentionDays).find(
    (days): days is logs.RetentionDays => days === logRetentionDays,
  );
  if (logRetentionDays !== undefined && logRetention === undefined) {
    throw new Error(
      `Context logRetentionDays must be one of CloudWatch's retention periods (1, 3, 5, 7, 14, 30, ...), got ${logRetentionDays}`,
    );
  }

  const seasons = text('seasons');
  let seasonStarts: string[] | undefined;
  try {
    seasonStarts = seasons === undefined ? undefined : parseSeasonStarts(seasons);
  } catch (error) {
    throw new Error(`Context seasons: ${(error as Error).message}`, { cause: error });
  }

  return {
    stackName: text('stackName') ?? DEFAULT_STACK_NAME,
    description: `IDRL video platform: HTTP API, S3 uploads, SQS worker with ${processor === 'mediaconvert' ? 'MediaConvert' : 'ffmpeg'}, ${option === 'serverless' ? 'Aurora PostgreSQL Serverless v2' : 'RDS PostgreSQL'}, Cognito`,
    allowedOrigins: (text('allowedOrigins') ?? '')
      .split(',')
      .map((origin) => origin.trim())
      .filter((origin) => origin.length > 0),
    removalPolicy: removal === 'retain' ? RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE : RemovalPolicy.DESTROY,
    deletionProtection: flag('deletionProtection'),
    dashboard: flag('dashboard'),
    waf: flag('waf') ?? false,
    database: option,
    databaseInstanceType: instanceType ? new ec2.InstanceType(instanceType) : undefined,
    databaseMaxConnections: integer('databaseMaxConnections'),
    databaseRouteReservedConcurrency: integer('databaseRouteReservedConcurrency'),
    workerMaxConcurrency: integer('workerMaxConcurrency'),
    maxConcurrentEditsPerPilot: positive('maxConcurrentEditsPerPilot'),
    workerMemorySize: integer('workerMemorySize'),
    workerTimeout: workerTimeoutSeconds === undefined ? undefined : Duration.seconds(workerTimeoutSeconds),
    logRetention,
    alarmEmail: text('alarmEmail'),
    processor,
    multipartPartBytes: positive('multipartPartBytes'),
    seasonStarts,
    taskQuotas: {
      maxUnfinishedTasks: positive('maxUnfinishedTasks'),
      maxDailyUploadBytes: positive('maxDailyUploadBytes'),
      maxDailyRecuts: positive('maxDailyRecuts'),
    },
  };
}
