/**
 * Configuration from the environment, parsed once at cold start. Each function reads only the
 * group it needs, so a signup function never demands database settings. A missing or malformed
 * variable throws ConfigurationError naming the variable: the function fails at init, loudly,
 * instead of on the first request with an obscure driver error.
 */
import { DEFAULT_TASK_QUOTAS, type TaskLimits } from '#core/task-service';
import { ConfigurationError } from '#core/platform-errors';
import {
  DEFAULT_LEAGUE_FORMAT,
  DEFAULT_SOURCE_LIMITS,
  type LeagueFormat,
  type SourceLimits,
} from '#core/league-format';
import { DEFAULT_PART_BYTES, MAX_PARTS } from '#core/multipart';
import { DEFAULT_MAX_CONCURRENT_EDITS_PER_PILOT } from '#core/fair-share';
import { parseSeasonStarts } from '#core/seasons';
import {
  DEFAULT_WORKER_TIMEOUT_SECONDS,
  MAX_RECEIVE_COUNT,
  stalledAfterSeconds,
  visibilityTimeoutSeconds,
} from '#core/delivery';

type Env = Record<string, string | undefined>;

function required(env: Env, name: string): string {
  const value = env[name]?.trim();
  if (!value) throw new ConfigurationError(`Environment variable ${name} is required`);
  return value;
}

function optional(env: Env, name: string): string | undefined {
  const value = env[name]?.trim();
  return value === '' ? undefined : value;
}

function positiveInteger(env: Env, name: string, fallback: number): number {
  const raw = optional(env, name);
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!/^\d+$/.test(raw) || !Number.isSafeInteger(value) || value <= 0) {
    throw new ConfigurationError(`Environment variable ${name} must be a positive integer, got "${raw}"`);
  }
  return value;
}

function flag(env: Env, name: string): boolean {
  const raw = optional(env, name);
  if (raw === undefined || raw === 'false') return false;
  if (raw === 'true') return true;
  throw new ConfigurationError(`Environment variable ${name} must be "true" or "false", got "${raw}"`);
}

function requiredUrl(env: Env, name: string): string {
  const value = required(env, name);
  if (!URL.canParse(value))
    throw new ConfigurationError(`Environment variable ${name} must be a URL, got "${value}"`);
  return value;
}

function optionalUrl(env: Env, name: string): string | undefined {
  return optional(env, name) === undefined ? undefined : requiredUrl(env, name);
}

export function region(env: Env = process.env): string {
  return required(env, 'AWS_REGION');
}

/**
 * A pooled connection unused this long is closed. It must stay below the shortest auto-pause delay of an Aurora
 * Serverless v2 database (5 minutes), or a warm process would keep it awake; infra/constructs/database.ts checks it.
 */
export const POOL_IDLE_TIMEOUT_MS = 60_000;

/** One connection attempt gives up after this; a database that is resuming is then tried again (resume.ts). */
export const DATABASE_CONNECT_TIMEOUT_MS = 5_000;

/**
 * Whether the database pauses while no connection is open (DB_AUTO_PAUSE: Aurora Serverless v2 at 0 ACU), in which
 * case functions close their connection after every invocation and a connection attempt that times out means
 * "resuming"; and how long a statement waits for a resuming database (DB_RESUME_WAIT_SECONDS, unset: no wait).
 */
interface DatabasePause {
  autoPause: boolean;
  resumeWaitMs: number;
}

function databasePause(env: Env): DatabasePause {
  // Unset means no waiting; a value that is set must be a positive number of seconds.
  const waitSeconds =
    optional(env, 'DB_RESUME_WAIT_SECONDS') === undefined
      ? 0
      : positiveInteger(env, 'DB_RESUME_WAIT_SECONDS', 1);
  return { autoPause: flag(env, 'DB_AUTO_PAUSE'), resumeWaitMs: waitSeconds * 1_000 };
}

/** How the app reaches PostgreSQL: a URL locally, or host + IAM token on AWS. */
export type DatabaseConfig = DatabasePause &
  (
    | { kind: 'url'; connectionString: string }
    | { kind: 'iam'; host: string; port: number; database: string; user: string; region: string }
  );

export function databaseConfig(env: Env = process.env): DatabaseConfig {
  const pause = databasePause(env);
  const connectionString = optionalUrl(env, 'DATABASE_URL');
  if (connectionString !== undefined) return { kind: 'url', connectionString, ...pause };
  if (!flag(env, 'DB_IAM_AUTH')) {
    throw new ConfigurationError(
      'Set DATABASE_URL, or DB_HOST, DB_PORT, DB_NAME, DB_USER with DB_IAM_AUTH=true',
    );
  }
  return {
    kind: 'iam',
    host: required(env, 'DB_HOST'),
    port: positiveInteger(env, 'DB_PORT', 5432),
    database: required(env, 'DB_NAME'),
    user: required(env, 'DB_USER'),
    region: region(env),
    ...pause,
  };
}

/**
 * The migration function on AWS connects as the master user whose credentials the launcher hands it
 * (functions/ops/migrate-launcher.ts), then grants the IAM-authenticated application role DB_USER its
 * privileges; locally it connects with the app's own settings.
 */
export type MigrationConfig =
  | { kind: 'handoff'; host: string; port: number; databaseName: string; appUser: string; autoPause: boolean }
  | { kind: 'direct'; database: DatabaseConfig };

export function migrationConfig(env: Env = process.env): MigrationConfig {
  if (!flag(env, 'DB_MASTER_HANDOFF')) return { kind: 'direct', database: databaseConfig(env) };
  return {
    kind: 'handoff',
    host: required(env, 'DB_HOST'),
    port: positiveInteger(env, 'DB_PORT', 5432),
    databaseName: required(env, 'DB_NAME'),
    appUser: required(env, 'DB_USER'),
    autoPause: flag(env, 'DB_AUTO_PAUSE'),
  };
}

/** The launcher, outside the VPC: which secret to read, and which in-VPC function to hand it to. */
export interface MigrationLauncherConfig {
  secretArn: string;
  migrateFunctionArn: string;
  region: string;
}

export function migrationLauncherConfig(env: Env = process.env): MigrationLauncherConfig {
  return {
    secretArn: required(env, 'DB_SECRET_ARN'),
    migrateFunctionArn: required(env, 'MIGRATE_FUNCTION_ARN'),
    region: region(env),
  };
}

export interface StorageConfig {
  bucket: string;
  region: string;
  endpoint?: string;
  forcePathStyle: boolean;
}

export function storageConfig(env: Env = process.env): StorageConfig {
  return {
    bucket: required(env, 'BUCKET_NAME'),
    region: region(env),
    endpoint: optionalUrl(env, 'S3_ENDPOINT'),
    forcePathStyle: flag(env, 'S3_FORCE_PATH_STYLE'),
  };
}

export interface IdentityConfig {
  userPoolId: string;
  clientId: string;
  region: string;
  endpoint?: string;
}

export function identityConfig(env: Env = process.env): IdentityConfig {
  return {
    userPoolId: required(env, 'USER_POOL_ID'),
    clientId: required(env, 'USER_POOL_CLIENT_ID'),
    region: region(env),
    endpoint: optionalUrl(env, 'COGNITO_ENDPOINT'),
  };
}

/** Where Lambda answers the functions outside the VPC that invoke one inside it (docs/architecture.md). */
export interface LambdaConfig {
  region: string;
  /** The local stack's gateway (infra/local/gateway.ts); on AWS unset: Lambda's regional endpoint. */
  endpoint?: string;
}

export function lambdaConfig(env: Env = process.env): LambdaConfig {
  return { region: region(env), endpoint: optionalUrl(env, 'LAMBDA_ENDPOINT') };
}

/** The variables naming the functions inside the VPC that a function outside it invokes. */
export type InvokedFunctionVariable =
  | 'PURGE_ACCOUNT_FUNCTION'
  | 'RETRY_TRANSITION_FUNCTION'
  | 'SWEEP_FUNCTION'
  | 'EMAIL_CODES_FUNCTION'
  | 'PILOT_STANDING_FUNCTION';

export function invokedFunctionName(variable: InvokedFunctionVariable, env: Env = process.env): string {
  return required(env, variable);
}

/**
 * The upload queue as the functions outside the VPC write it (docs/worker.md, "Re-enqueueing"): its URL, and
 * the bucket its messages name. The local stack points the SDK at its own SQS surface with AWS_ENDPOINT_URL_SQS.
 */
export interface UploadQueueConfig {
  queueUrl: string;
  bucket: string;
  region: string;
}

export function uploadQueueConfig(env: Env = process.env): UploadQueueConfig {
  return {
    queueUrl: requiredUrl(env, 'UPLOAD_QUEUE_URL'),
    bucket: required(env, 'BUCKET_NAME'),
    region: region(env),
  };
}

/**
 * The record-view route (#core/views): the views queue, and the viewer key its HMACs use — the stack's own secret
 * (docs/infra.md, "Views"), never in code.
 */
export interface ViewReportConfig {
  queueUrl: string;
  viewerSecret: string;
}

export function viewReportConfig(env: Env = process.env): ViewReportConfig {
  return { queueUrl: requiredUrl(env, 'VIEW_QUEUE_URL'), viewerSecret: required(env, 'VIEWER_KEY_SECRET') };
}

export interface AuthorizerConfig {
  issuer: string;
  jwksUri: string;
  clientId: string;
}

export function authorizerConfig(env: Env = process.env): AuthorizerConfig {
  const issuer = requiredUrl(env, 'JWT_ISSUER');
  return {
    issuer,
    jwksUri: optionalUrl(env, 'JWKS_URI') ?? `${issuer}/.well-known/jwks.json`,
    clientId: required(env, 'USER_POOL_CLIENT_ID'),
  };
}

/** Presigned uploads never live longer than 15 minutes (docs/spec.md §2). */
const MAX_UPLOAD_URL_TTL_SECONDS = 900;

export function taskLimits(env: Env = process.env): TaskLimits {
  const uploadUrlTtlSeconds = positiveInteger(env, 'UPLOAD_URL_TTL_SECONDS', MAX_UPLOAD_URL_TTL_SECONDS);
  if (uploadUrlTtlSeconds > MAX_UPLOAD_URL_TTL_SECONDS) {
    throw new ConfigurationError(
      `UPLOAD_URL_TTL_SECONDS must be at most ${MAX_UPLOAD_URL_TTL_SECONDS}, got ${uploadUrlTtlSeconds}`,
    );
  }
  const maxUploadBytes = positiveInteger(env, 'MAX_UPLOAD_BYTES', 524_288_000);
  const partBytes = positiveInteger(env, 'MULTIPART_PART_BYTES', DEFAULT_PART_BYTES);
  if (Math.ceil(maxUploadBytes / partBytes) > MAX_PARTS) {
    throw new ConfigurationError(
      `MULTIPART_PART_BYTES must cut MAX_UPLOAD_BYTES into at most ${MAX_PARTS} parts, got ${partBytes}`,
    );
  }
  return {
    maxUploadBytes,
    uploadUrlTtlSeconds,
    downloadUrlTtlSeconds: positiveInteger(env, 'DOWNLOAD_URL_TTL_SECONDS', 300),
    uploadWindowHours: positiveInteger(env, 'UPLOAD_WINDOW_HOURS', 24),
    maxUnfinishedTasks: positiveInteger(env, 'MAX_UNFINISHED_TASKS', DEFAULT_TASK_QUOTAS.maxUnfinishedTasks),
    maxDailyUploadBytes: positiveInteger(
      env,
      'MAX_DAILY_UPLOAD_BYTES',
      DEFAULT_TASK_QUOTAS.maxDailyUploadBytes,
    ),
    maxDailyRecuts: positiveInteger(env, 'MAX_DAILY_RECUTS', DEFAULT_TASK_QUOTAS.maxDailyRecuts),
    partBytes,
  };
}

/**
 * The league's season start dates (LEAGUE_SEASON_STARTS, `2026-03-01,2026-09-01`; the stack sets it from the CDK
 * context `seasons`, which the synth validates with the same parser). Unset: no seasons configured.
 */
export function leagueSeasonStarts(env: Env = process.env): string[] {
  try {
    return parseSeasonStarts(optional(env, 'LEAGUE_SEASON_STARTS') ?? '');
  } catch (error) {
    throw new ConfigurationError(`Environment variable LEAGUE_SEASON_STARTS: ${(error as Error).message}`, {
      cause: error,
    });
  }
}

/**
 * Seconds after its last change past which a task still `uploaded` or `processing` has no delivery
 * of its message left to finish it: the sweeper fails it. The CDK stack and the local stack set it
 * from their queue's settings; the default is the bound for the default worker (#core/delivery).
 */
export function stalledTaskSeconds(env: Env = process.env): number {
  return positiveInteger(
    env,
    'STALLED_TASK_SECONDS',
    stalledAfterSeconds({
      redeliverySeconds: visibilityTimeoutSeconds(DEFAULT_WORKER_TIMEOUT_SECONDS),
      maxReceiveCount: MAX_RECEIVE_COUNT,
    }),
  );
}

/** The league format and the limits on its sources (defaults in #core/league-format), and the worker's retry budget. */
export interface VideoConfig {
  ffmpegPath: string;
  ffprobePath: string;
  format: LeagueFormat;
  limits: SourceLimits;
  maxReceiveCount: number;
}

export function videoConfig(env: Env = process.env): VideoConfig {
  const defaults = DEFAULT_LEAGUE_FORMAT;
  return {
    ffmpegPath: optional(env, 'FFMPEG_PATH') ?? '/opt/bin/ffmpeg',
    ffprobePath: optional(env, 'FFPROBE_PATH') ?? '/opt/bin/ffprobe',
    format: {
      ...defaults,
      width: positiveInteger(env, 'VIDEO_WIDTH', defaults.width),
      height: positiveInteger(env, 'VIDEO_HEIGHT', defaults.height),
      fps: positiveInteger(env, 'VIDEO_FPS', defaults.fps),
      maxSourceSeconds: positiveInteger(env, 'VIDEO_MAX_SOURCE_SECONDS', defaults.maxSourceSeconds),
      logoSeconds: positiveInteger(env, 'VIDEO_LOGO_SECONDS', defaults.logoSeconds),
    },
    limits: {
      maxSide: positiveInteger(env, 'VIDEO_MAX_SOURCE_SIDE', DEFAULT_SOURCE_LIMITS.maxSide),
      maxPixels: positiveInteger(env, 'VIDEO_MAX_SOURCE_PIXELS', DEFAULT_SOURCE_LIMITS.maxPixels),
      maxFps: positiveInteger(env, 'VIDEO_MAX_SOURCE_FPS', DEFAULT_SOURCE_LIMITS.maxFps),
      maxStreams: positiveInteger(env, 'VIDEO_MAX_SOURCE_STREAMS', DEFAULT_SOURCE_LIMITS.maxStreams),
    },
    maxReceiveCount: positiveInteger(env, 'MAX_RECEIVE_COUNT', MAX_RECEIVE_COUNT),
  };
}

/** The per-pilot cap on concurrent edits (docs/worker.md, "A fair worker"): the worker's and the completion's. */
export interface FairShareConfig {
  maxConcurrentEditsPerPilot: number;
}

export function fairShareConfig(env: Env = process.env): FairShareConfig {
  return {
    maxConcurrentEditsPerPilot: positiveInteger(
      env,
      'MAX_CONCURRENT_EDITS_PER_PILOT',
      DEFAULT_MAX_CONCURRENT_EDITS_PER_PILOT,
    ),
  };
}

/** MediaConvert's side of the stack: the job's service role and queue (the submitter and the worker). */
export interface MediaConvertConfig {
  region: string;
  roleArn: string;
  queueArn: string;
}

export function mediaConvertConfig(env: Env = process.env): MediaConvertConfig {
  return {
    region: region(env),
    roleArn: required(env, 'MEDIACONVERT_ROLE_ARN'),
    queueArn: required(env, 'MEDIACONVERT_QUEUE_ARN'),
  };
}

/**
 * Which backend edits uploads (PROCESSOR): the ffmpeg worker (default, and the local stack's), or
 * MediaConvert, which also needs the logo card in S3 (LOGO_URI, s3://…).
 */
type ProcessorConfig =
  { kind: 'ffmpeg' } | ({ kind: 'mediaconvert'; logoUri: string } & Omit<MediaConvertConfig, 'region'>);

export function processorConfig(env: Env = process.env): ProcessorConfig {
  const kind = optional(env, 'PROCESSOR') ?? 'ffmpeg';
  if (kind === 'ffmpeg') return { kind };
  if (kind !== 'mediaconvert') {
    throw new ConfigurationError(
      `Environment variable PROCESSOR must be "ffmpeg" or "mediaconvert", got "${kind}"`,
    );
  }
  const logoUri = required(env, 'LOGO_URI');
  if (!logoUri.startsWith('s3://')) {
    throw new ConfigurationError(`Environment variable LOGO_URI must be an s3:// URI, got "${logoUri}"`);
  }
  const { roleArn, queueArn } = mediaConvertConfig(env);
  return { kind, logoUri, roleArn, queueArn };
}
