import { Duration } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import type * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { PROCESSED_PREFIX, UPLOADS_PREFIX } from '#core/object-keys';
import type { Database } from './database';
import { InvokedFunction } from './invoked-function';
import { FunctionWithLogGroup, grantWithEnvironment } from './lambda-defaults';
import type { Network } from './network';
import { MAX_RECEIVE_COUNT, stalledAfterSeconds } from '#core/delivery';
import type { Storage } from './storage';

/** The sweep's own limit inside the VPC: a batch of 200 tasks per use case, each a query and an S3 call or two. */
const SWEEP_TIMEOUT = Duration.seconds(60);

/** How long the sweep waits for a paused database to resume, within its 60 s. */
const SWEEP_RESUME_WAIT = Duration.seconds(45);

/** What the schedule's target does besides waiting for the sweep: up to 20 SendMessageBatch calls. */
const QUEUEING_OVERHEAD = Duration.seconds(20);

export interface SweeperProps {
  readonly network: Network;
  readonly database: Database;
  /** The upload queue: its visibility timeout and receive count bound how long a message can still be delivered. */
  readonly storage: Storage;
  /** @default Duration.hours(1) */
  readonly interval?: Duration;
  /**
   * Reserve one instance, as the database routes reserve theirs; false where the account's concurrency limit leaves
   * nothing to reserve (databaseRouteReservedConcurrency 0). @default true
   */
  readonly reserveConcurrency?: boolean;
  /** @default RetentionDays.ONE_MONTH */
  readonly logRetention?: logs.RetentionDays;
}

/**
 * Hourly (docs/operations.md, "The sweeper"): uploads the worker never recorded go back on the queue, tasks
 * whose upload never arrived within the upload window and tasks whose message's last delivery died without
 * recording an outcome become `failed` (docs/spec.md §3, §4; docs/worker.md), interrupted deletes are finished.
 * Two halves across the VPC boundary: the schedule's target outside the VPC invokes the sweep inside it and
 * sends the uploads it recovered with SQS SendMessage, which nothing inside the VPC can reach.
 */
export class Sweeper extends Construct {
  /** The sweep, inside the VPC: the database and the bucket. */
  readonly function: FunctionWithLogGroup;
  /** The schedule's target, outside the VPC: invokes {@link function} and queues what it recovered. */
  readonly runner: FunctionWithLogGroup;
  readonly rule: events.Rule;
  readonly interval: Duration;

  constructor(scope: Construct, id: string, props: SweeperProps) {
    super(scope, id);
    this.interval = props.interval ?? Duration.hours(1);
    const sweep = new InvokedFunction(this, 'Sweep', {
      network: props.network,
      database: props.database,
      entry: 'functions/ops/sweep-tasks.ts',
      serviceName: 'idrl-ops',
      description:
        'Finds unrecorded uploads, fails tasks whose upload never arrived or whose processing never finished, finishes interrupted deletes',
      // One run at a time, one database connection at most. Without the reservation (low-quota accounts) two runs
      // overlap only if the hourly schedule's event is delivered twice within a run's 80 s (asynchronous invocations
      // are at least once): every step is then a conditional update on the task's status, except that an unrecorded
      // upload found by both is queued twice (the worker's claim turns a duplicate message into one transition,
      // docs/worker.md) and counted twice
      // toward its MAX_RECOVERY_REQUEUES sends. Not worth a lock held across a run's many queries.
      reservedConcurrency: (props.reserveConcurrency ?? true) ? 1 : undefined,
      timeout: SWEEP_TIMEOUT,
      callerOverhead: QUEUEING_OVERHEAD,
      logRetention: props.logRetention,
    });
    this.function = sweep.function;
    this.function.addEnvironment(
      'STALLED_TASK_SECONDS',
      String(
        stalledAfterSeconds({
          redeliverySeconds: props.storage.visibilityTimeout.toSeconds(),
          maxReceiveCount: MAX_RECEIVE_COUNT,
        }),
      ),
    );
    grantWithEnvironment(
      this.function,
      props.storage.objectUse({
        // Recovery reads whether an upload arrived; interrupted deletes are finished (the original's recorded
        // version for good), and multipart uploads abandoned for longer than the upload window (or of a task being
        // deleted) aborted. A parked task is sent with the size of the version it recorded.
        [UPLOADS_PREFIX]: [
          's3:GetObject',
          's3:GetObjectVersion',
          's3:DeleteObject',
          's3:DeleteObjectVersion',
          's3:AbortMultipartUpload',
        ],
        // A failed task owns no outputs: the sweeper removes what a dead attempt may have stored.
        [PROCESSED_PREFIX]: ['s3:DeleteObject'],
      }),
    );
    // The sweep usually meets a paused database (serverless, daily): it may wait most of its own timeout for the
    // resume, not the API's 15 s.
    if (props.database.option === 'serverless')
      this.function.addEnvironment('DB_RESUME_WAIT_SECONDS', String(SWEEP_RESUME_WAIT.toSeconds()));
    // "Not uploaded" must be a 404, not the 403 S3 answers for a missing key without it.
    grantWithEnvironment(this.function, props.storage.listUse());
    grantWithEnvironment(this.function, props.storage.multipartListingUse());

    this.runner = new FunctionWithLogGroup(this, 'RunSweep', {
      entry: 'functions/ops/run-sweep.ts',
      serviceName: 'idrl-ops',
      description: 'Runs the sweep inside the VPC and puts the uploads it recovered back on the upload queue',
      // No reservation: the sweep it invokes has one, so two runs at once cannot both sweep.
      timeout: sweep.callerTimeout,
      logRetention: props.logRetention,
    });
    grantWithEnvironment(this.runner, sweep.invokerUse('SWEEP_FUNCTION'));
    grantWithEnvironment(this.runner, props.storage.queueSendUse());

    this.rule = new events.Rule(this, 'Schedule', {
      description: 'Requeue unrecorded uploads, fail abandoned uploads and stalled tasks, finish deletes',
      schedule: events.Schedule.rate(this.interval),
      targets: [new targets.LambdaFunction(this.runner, { retryAttempts: 2 })],
    });
  }
}
