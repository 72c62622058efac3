import { describe, expect, it } from 'vitest';
import { ConfigurationError } from '#core/platform-errors';
import {
  authorizerConfig,
  databaseConfig,
  fairShareConfig,
  migrationConfig,
  migrationLauncherConfig,
  stalledTaskSeconds,
  storageConfig,
  taskLimits,
  videoConfig,
} from '#commons/config';

describe('configuration', () => {
  it('prefers DATABASE_URL', () => {
    expect(
      databaseConfig({ DATABASE_URL: 'postgres://u:p@localhost:5432/idrl', DB_IAM_AUTH: 'true' }),
    ).toEqual({
      kind: 'url',
      connectionString: 'postgres://u:p@localhost:5432/idrl',
      autoPause: false,
      resumeWaitMs: 0,
    });
  });

  it('reads IAM database settings with the default port', () => {
    expect(
      databaseConfig({
        DB_IAM_AUTH: 'true',
        DB_HOST: 'db.internal',
        DB_NAME: 'idrl',
        DB_USER: 'app',
        AWS_REGION: 'eu-west-1',
      }),
    ).toEqual({
      kind: 'iam',
      host: 'db.internal',
      port: 5432,
      database: 'idrl',
      user: 'app',
      region: 'eu-west-1',
      autoPause: false,
      resumeWaitMs: 0,
    });
  });

  it('knows when the database pauses while no connection is open', () => {
    expect(
      databaseConfig({
        DATABASE_URL: 'postgres://localhost/idrl',
        DB_AUTO_PAUSE: 'true',
        DB_RESUME_WAIT_SECONDS: '15',
      }),
    ).toEqual({
      kind: 'url',
      connectionString: 'postgres://localhost/idrl',
      autoPause: true,
      resumeWaitMs: 15_000,
    });
    expect(() =>
      databaseConfig({ DATABASE_URL: 'postgres://localhost/idrl', DB_RESUME_WAIT_SECONDS: '0' }),
    ).toThrow(
      new ConfigurationError(
        'Environment variable DB_RESUME_WAIT_SECONDS must be a positive integer, got "0"',
      ),
    );
  });

  it.each([
    [{}, 'Set DATABASE_URL, or DB_HOST, DB_PORT, DB_NAME, DB_USER with DB_IAM_AUTH=true'],
    [
      { DB_IAM_AUTH: 'true', DB_NAME: 'idrl', DB_USER: 'app', AWS_REGION: 'eu-west-1' },
      'Environment variable DB_HOST is required',
    ],
    [{ DB_IAM_AUTH: 'yes' }, 'Environment variable DB_IAM_AUTH must be "true" or "false", got "yes"'],
    [{ DATABASE_URL: 'not a url' }, 'Environment variable DATABASE_URL must be a URL, got "not a url"'],
    [
      { DB_IAM_AUTH: 'true', DB_HOST: 'h', DB_PORT: '54x', DB_NAME: 'n', DB_USER: 'u', AWS_REGION: 'r' },
      'Environment variable DB_PORT must be a positive integer, got "54x"',
    ],
  ])('fails fast on database settings %j', (env, message) => {
    expect(() => databaseConfig(env)).toThrow(new ConfigurationError(message));
  });

  it('connects migrations with handed-off master credentials on AWS, with the app settings locally', () => {
    expect(
      migrationConfig({
        DB_MASTER_HANDOFF: 'true',
        DB_HOST: 'db.internal',
        DB_PORT: '5433',
        DB_USER: 'app',
        DB_NAME: 'idrl',
      }),
    ).toEqual({
      kind: 'handoff',
      host: 'db.internal',
      port: 5433,
      appUser: 'app',
      databaseName: 'idrl',
      autoPause: false,
    });
    expect(migrationConfig({ DATABASE_URL: 'postgres://localhost/idrl' })).toEqual({
      kind: 'direct',
      database: {
        kind: 'url',
        connectionString: 'postgres://localhost/idrl',
        autoPause: false,
        resumeWaitMs: 0,
      },
    });
    expect(() => migrationConfig({ DB_MASTER_HANDOFF: 'true', DB_USER: 'app', DB_NAME: 'idrl' })).toThrow(
      new ConfigurationError('Environment variable DB_HOST is required'),
    );
  });

  it('tells the migration launcher which secret to read and which function to hand it to', () => {
    expect(
      migrationLauncherConfig({
        DB_SECRET_ARN: 'arn:secret',
        MIGRATE_FUNCTION_ARN: 'migrate',
        AWS_REGION: 'eu-west-1',
      }),
    ).toEqual({ secretArn: 'arn:secret', migrateFunctionArn: 'migrate', region: 'eu-west-1' });
    expect(() => migrationLauncherConfig({ DB_SECRET_ARN: 'arn:secret', AWS_REGION: 'eu-west-1' })).toThrow(
      new ConfigurationError('Environment variable MIGRATE_FUNCTION_ARN is required'),
    );
  });

  it('reads storage settings with an optional endpoint', () => {
    expect(
      storageConfig({
        BUCKET_NAME: 'b',
        AWS_REGION: 'r',
        S3_ENDPOINT: 'http://127.0.0.1:4569',
        S3_FORCE_PATH_STYLE: 'true',
      }),
    ).toEqual({
      bucket: 'b',
      region: 'r',
      endpoint: 'http://127.0.0.1:4569',
      forcePathStyle: true,
    });
    expect(() => storageConfig({ AWS_REGION: 'r' })).toThrow(
      new ConfigurationError('Environment variable BUCKET_NAME is required'),
    );
  });

  it('derives the JWKS URI from the issuer unless given', () => {
    expect(authorizerConfig({ JWT_ISSUER: 'http://localhost:9229/pool', USER_POOL_CLIENT_ID: 'c' })).toEqual({
      issuer: 'http://localhost:9229/pool',
      jwksUri: 'http://localhost:9229/pool/.well-known/jwks.json',
      clientId: 'c',
    });
  });

  it('applies the defaults of docs/spec.md §2–3 and refuses an upload URL living longer than 15 minutes', () => {
    expect(taskLimits({})).toEqual({
      maxUploadBytes: 524_288_000,
      uploadUrlTtlSeconds: 900,
      downloadUrlTtlSeconds: 300,
      uploadWindowHours: 24,
      maxUnfinishedTasks: 5,
      maxDailyUploadBytes: 5 * 1024 ** 3,
      maxDailyRecuts: 10,
      partBytes: 8_388_608,
    });
    expect(taskLimits({ MAX_UNFINISHED_TASKS: '2', MAX_DAILY_UPLOAD_BYTES: '1048576' })).toMatchObject({
      maxUnfinishedTasks: 2,
      maxDailyUploadBytes: 1_048_576,
    });
    expect(() => taskLimits({ UPLOAD_URL_TTL_SECONDS: '901' })).toThrow(
      new ConfigurationError('UPLOAD_URL_TTL_SECONDS must be at most 900, got 901'),
    );
  });

  it('applies the league format and source limit defaults', () => {
    expect(videoConfig({})).toEqual({
      ffmpegPath: '/opt/bin/ffmpeg',
      ffprobePath: '/opt/bin/ffprobe',
      format: {
        width: 1280,
        height: 720,
        fps: 30,
        maxSourceSeconds: 16,
        logoSeconds: 2,
        thumbnailWidth: 640,
        thumbnailHeight: 360,
      },
      limits: { maxSide: 4096, maxPixels: 8_900_000, maxFps: 240, maxStreams: 8 },
      maxReceiveCount: 3,
    });
  });

  it('reads the source limits from VIDEO_MAX_SOURCE_*', () => {
    expect(
      videoConfig({
        VIDEO_MAX_SOURCE_SIDE: '1920',
        VIDEO_MAX_SOURCE_PIXELS: '2073600',
        VIDEO_MAX_SOURCE_FPS: '60',
        VIDEO_MAX_SOURCE_STREAMS: '3',
      }).limits,
    ).toEqual({ maxSide: 1920, maxPixels: 2_073_600, maxFps: 60, maxStreams: 3 });
    expect(() => videoConfig({ VIDEO_MAX_SOURCE_PIXELS: '8.9e6' })).toThrow(
      new ConfigurationError(
        'Environment variable VIDEO_MAX_SOURCE_PIXELS must be a positive integer, got "8.9e6"',
      ),
    );
  });

  it('reads the stalled-task age, defaulting to the default queue settings, as a positive integer', () => {
    expect(stalledTaskSeconds({ STALLED_TASK_SECONDS: '600' })).toBe(600);
    expect(stalledTaskSeconds({})).toBe(4_320);
    expect(() => stalledTaskSeconds({ STALLED_TASK_SECONDS: '0' })).toThrow(
      new ConfigurationError('Environment variable STALLED_TASK_SECONDS must be a positive integer, got "0"'),
    );
  });

  it('reads the per-pilot cap on concurrent edits, 2 by default, as a positive integer', () => {
    expect(fairShareConfig({})).toEqual({ maxConcurrentEditsPerPilot: 2 });
    expect(fairShareConfig({ MAX_CONCURRENT_EDITS_PER_PILOT: '3' })).toEqual({
      maxConcurrentEditsPerPilot: 3,
    });
    expect(() => fairShareConfig({ MAX_CONCURRENT_EDITS_PER_PILOT: '0' })).toThrow(
      new ConfigurationError(
        'Environment variable MAX_CONCURRENT_EDITS_PER_PILOT must be a positive integer, got "0"',
      ),
    );
  });
});
