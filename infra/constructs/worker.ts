import { Duration, Size } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as lambdaEventSources from 'aws-cdk-lib/aws-lambda-event-sources';
import type * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { PROCESSED_PREFIX, REQUEUE_PREFIX, UPLOADS_PREFIX } from '#core/object-keys';
import { FFMPEG_PATH, FFPROBE_PATH, FfmpegLayer, LOGO_PATH } from '#layers/ffmpeg/ffmpeg-layer';
import type { Database } from './database';
import { FunctionWithLogGroup, grantWithEnvironment } from './lambda-defaults';
import type { Network } from './network';
import { DEFAULT_WORKER_TIMEOUT_SECONDS, MAX_RECEIVE_COUNT } from '#core/delivery';
import { DEFAULT_MAX_CONCURRENT_EDITS_PER_PILOT } from '#core/fair-share';
import type { Storage } from './storage';

/** Worker sizing (docs/infra.md, "Worker sizing"). The queue's visibility timeout is derived from the timeout. */
export const WORKER_DEFAULTS = {
  memorySize: 3008,
  timeout: Duration.seconds(DEFAULT_WORKER_TIMEOUT_SECONDS),
  ephemeralStorage: Size.mebibytes(512),
  maxConcurrency: 5,
} as const;

export interface WorkerProps {
  readonly network: Network;
  readonly database: Database;
  readonly storage: Storage;
  /** ffmpeg's x264 encode scales with vCPUs, which scale with memory. @default 3008 */
  readonly memorySize?: number;
  /** Must match the timeout the storage construct derived the visibility timeout from. @default Duration.seconds(180) */
  readonly timeout?: Duration;
  /**
   * /tmp holds only the outputs (the source is streamed to ffmpeg, never stored): a 20 s 720p edit of
   * ~5–30 MB and its thumbnail. @default Size.mebibytes(512), Lambda's included minimum
   */
  readonly ephemeralStorage?: Size;
  /** SQS event source maxConcurrency: bounds worker database connections (pool size 1). @default 5 */
  readonly maxConcurrency?: number;
  /**
   * Of those, how many one pilot's edits may hold at once: the rest of the pilot's uploads wait, parked
   * (docs/worker.md, "A fair worker"). @default DEFAULT_MAX_CONCURRENT_EDITS_PER_PILOT (2)
   */
  readonly maxConcurrentEditsPerPilot?: number;
  /** @default RetentionDays.ONE_MONTH */
  readonly logRetention?: logs.RetentionDays;
}

/** The worker's POWERTOOLS_SERVICE_NAME: the `service` dimension of its metrics (the dashboard reads them). */
export const WORKER_SERVICE_NAME = 'idrl-worker';

/** The SQS-driven video worker: one message at a time, partial batch failures, ffmpeg from the layer. */
export class Worker extends Construct {
  readonly function: FunctionWithLogGroup;
  readonly layer: FfmpegLayer;
  /** The queue → worker mapping: the stack runs the migrations before it (new code meets the new schema). */
  readonly eventSourceMapping: lambda.EventSourceMapping;
  /** The per-pilot cap, which the MediaConvert completion applies too (a job is an edit in progress). */
  readonly maxConcurrentEditsPerPilot: number;

  constructor(scope: Construct, id: string, props: WorkerProps) {
    super(scope, id);
    const { network, database, storage } = props;
    this.maxConcurrentEditsPerPilot =
      props.maxConcurrentEditsPerPilot ?? DEFAULT_MAX_CONCURRENT_EDITS_PER_PILOT;

    this.layer = new FfmpegLayer(this, 'FfmpegLayer');
    this.function = new FunctionWithLogGroup(this, 'ProcessUpload', {
      entry: 'functions/worker/process-upload.ts',
      serviceName: WORKER_SERVICE_NAME,
      description: 'Edits an uploaded video into the league format with ffmpeg',
      memorySize: props.memorySize ?? WORKER_DEFAULTS.memorySize,
      timeout: props.timeout ?? WORKER_DEFAULTS.timeout,
      ephemeralStorageSize: props.ephemeralStorage ?? WORKER_DEFAULTS.ephemeralStorage,
      layers: [this.layer],
      vpc: network.vpc,
      securityGroups: [network.databaseClientSecurityGroup],
      logRetention: props.logRetention,
      environment: {
        FFMPEG_PATH,
        FFPROBE_PATH,
        LOGO_PATH,
        MAX_RECEIVE_COUNT: String(MAX_RECEIVE_COUNT),
        MAX_CONCURRENT_EDITS_PER_PILOT: String(this.maxConcurrentEditsPerPilot),
      },
    });
    grantWithEnvironment(this.function, database.appUse());
    grantWithEnvironment(
      this.function,
      storage.objectUse({
        // The task's version is read by its id; a later post's version is deleted for good (docs/worker.md,
        // "Single-use uploads").
        [UPLOADS_PREFIX]: [
          's3:GetObject',
          's3:GetObjectVersion',
          's3:DeleteObject',
          's3:DeleteObjectVersion',
        ],
        [PROCESSED_PREFIX]: ['s3:PutObject', 's3:DeleteObject'],
        // A marker is removed once handled; a task whose upload was replaced mid-read, or a parked task whose
        // pilot's edit ended, is queued again.
        [REQUEUE_PREFIX]: ['s3:PutObject', 's3:DeleteObject'],
      }),
    );

    this.function.addEventSource(
      new lambdaEventSources.SqsEventSource(storage.queue, {
        batchSize: 1,
        reportBatchItemFailures: true,
        maxConcurrency: props.maxConcurrency ?? WORKER_DEFAULTS.maxConcurrency,
      }),
    );
    const [mapping] = this.function.node.children.filter(
      (child): child is lambda.EventSourceMapping => child instanceof lambda.EventSourceMapping,
    );
    if (mapping === undefined) throw new Error('The SQS event source created no event source mapping');
    this.eventSourceMapping = mapping;
  }
}
