import { Duration } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import type * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { PROCESSED_PREFIX, REQUEUE_PREFIX, UPLOADS_PREFIX } from '#core/object-keys';
import type { Database } from './database';
import { FunctionWithLogGroup, grantWithEnvironment } from './lambda-defaults';
import type { Network } from './network';
import { MAX_RECEIVE_COUNT, stalledAfterSeconds } from '#core/delivery';
import type { Storage } from './storage';

export interface SweeperProps {
  readonly network: Network;
  readonly database: Database;
  /** The upload queue: its visibility timeout and receive count bound how long a message can still be delivered. */
  readonly storage: Storage;
  /** @default Duration.hours(1) */
  readonly interval?: Duration;
  /** @default RetentionDays.ONE_MONTH */
  readonly logRetention?: logs.RetentionDays;
}

/**
 * Hourly: tasks whose upload never arrived within the upload window, and tasks whose message's last
 * delivery died without recording an outcome, become `failed` (docs/spec.md §3, §4; docs/worker.md).
 */
export class Sweeper extends Construct {
  readonly function: FunctionWithLogGroup;
  readonly rule: events.Rule;

  constructor(scope: Construct, id: string, props: SweeperProps) {
    super(scope, id);
    this.function = new FunctionWithLogGroup(this, 'ExpireUploads', {
      entry: 'functions/ops/sweep-tasks.ts',
      serviceName: 'idrl-ops',
      description:
        'Requeues unrecorded uploads, fails tasks whose upload never arrived or whose processing never finished, finishes interrupted deletes',
      timeout: Duration.seconds(60),
      vpc: props.network.vpc,
      securityGroups: [props.network.databaseClientSecurityGroup],
      // One run at a time, one database connection at most.
      reservedConcurrentExecutions: 1,
      logRetention: props.logRetention,
      environment: {
        STALLED_TASK_SECONDS: String(
          stalledAfterSeconds({
            redeliverySeconds: props.storage.visibilityTimeout.toSeconds(),
            maxReceiveCount: MAX_RECEIVE_COUNT,
          }),
        ),
      },
    });
    grantWithEnvironment(this.function, props.database.appUse());
    grantWithEnvironment(
      this.function,
      props.storage.objectUse({
        // Recovery reads whether an upload arrived; interrupted deletes are finished, and multipart
        // uploads abandoned for longer than the upload window (or of a task being deleted) aborted.
        [UPLOADS_PREFIX]: ['s3:GetObject', 's3:DeleteObject', 's3:AbortMultipartUpload'],
        // A failed task owns no outputs: the sweeper removes what a dead attempt may have stored.
        [PROCESSED_PREFIX]: ['s3:DeleteObject'],
        // A recovered upload goes back on the queue through a marker (no SQS endpoint in the VPC).
        [REQUEUE_PREFIX]: ['s3:PutObject'],
      }),
    );
    // "Not uploaded" must be a 404, not the 403 S3 answers for a missing key without it.
    grantWithEnvironment(this.function, props.storage.listUse());
    grantWithEnvironment(this.function, props.storage.multipartListingUse());

    this.rule = new events.Rule(this, 'Schedule', {
      description: 'Fail abandoned uploads and stalled tasks',
      schedule: events.Schedule.rate(props.interval ?? Duration.hours(1)),
      targets: [new targets.LambdaFunction(this.function, { retryAttempts: 2 })],
    });
  }
}
