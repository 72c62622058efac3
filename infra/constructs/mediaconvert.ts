import { Duration, Stack, Validations } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as logs from 'aws-cdk-lib/aws-logs';
import * as mediaconvert from 'aws-cdk-lib/aws-mediaconvert';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as s3assets from 'aws-cdk-lib/aws-s3-assets';
import * as s3n from 'aws-cdk-lib/aws-s3-notifications';
import { Construct } from 'constructs';
import {
  jobRequestKey,
  jobSourceKey,
  PROCESSED_PREFIX,
  REQUEUE_PREFIX,
  UPLOADS_PREFIX,
} from '#core/object-keys';
import { fromRoot } from '../paths';
import type { Database } from './database';
import { FunctionWithLogGroup, grantWithEnvironment } from './lambda-defaults';
import type { Network } from './network';
import type { Storage } from './storage';
import type { Worker } from './worker';

/** Completion functions running at once: each holds one database connection (the stack's budget counts them). */
export const COMPLETION_CONCURRENCY = 2;

/** `processed/*` + the part of a task's key after its id: one object name in every task's folder. */
function everyTask(keyOfTaskOne: string): string {
  return keyOfTaskOne.replace(`${PROCESSED_PREFIX}1/`, `${PROCESSED_PREFIX}*/`);
}

export interface MediaConvertBackendProps {
  readonly network: Network;
  readonly database: Database;
  readonly storage: Storage;
  /** Validates and claims as with ffmpeg, then stores the job request instead of editing. */
  readonly worker: Worker;
  /**
   * Reserve {@link COMPLETION_CONCURRENCY}, as the database routes reserve theirs; false where the account's
   * concurrency limit leaves nothing to reserve (databaseRouteReservedConcurrency 0). @default true
   */
  readonly reserveConcurrency?: boolean;
  /** @default RetentionDays.ONE_MONTH */
  readonly logRetention?: logs.RetentionDays;
}

/** POWERTOOLS_SERVICE_NAME of the MediaConvert functions: the completion publishes its edits' metrics under it. */
export const MEDIACONVERT_SERVICE_NAME = 'idrl-mediaconvert';

/**
 * The MediaConvert backend (`-c processor=mediaconvert`; docs/worker.md, "MediaConvert"): the worker
 * stores each job request under processed/{id}/; a submitter outside the VPC creates the job in this
 * stack's queue; the job's COMPLETE or ERROR event in that queue reaches a completion function in the
 * VPC, which records the outcome on the task.
 */
export class MediaConvertBackend extends Construct {
  readonly queue: mediaconvert.CfnQueue;
  readonly serviceRole: iam.Role;
  readonly logo: s3assets.Asset;
  readonly submitter: FunctionWithLogGroup;
  readonly completion: FunctionWithLogGroup;
  readonly rule: events.Rule;

  constructor(scope: Construct, id: string, props: MediaConvertBackendProps) {
    super(scope, id);
    const { bucket } = props.storage;

    // On-demand pricing, no reservation: the queue costs nothing idle and names this stack's jobs.
    this.queue = new mediaconvert.CfnQueue(this, 'Queue', {
      description: 'IDRL league edits',
      pricingPlan: 'ON_DEMAND',
      status: 'ACTIVE',
    });
    this.logo = new s3assets.Asset(this, 'Logo', { path: fromRoot('assets/logo/idrl-logo.png') });

    // What the service reads and writes on the jobs' behalf: the job's copy of the task's version (docs/worker.md,
    // "Single-use uploads"), uploads (the key itself, for a task recorded before versions were), the logo, and the
    // task outputs by name.
    this.serviceRole = new iam.Role(this, 'ServiceRole', {
      assumedBy: new iam.ServicePrincipal('mediaconvert.amazonaws.com'),
      description: 'MediaConvert jobs of the IDRL platform: read uploads and the logo, write task outputs',
    });
    this.serviceRole.addToPolicy(
      new iam.PolicyStatement({
        actions: ['s3:GetObject'],
        resources: [
          bucket.arnForObjects(everyTask(jobSourceKey(1))),
          bucket.arnForObjects(`${UPLOADS_PREFIX}*`),
          this.logo.bucket.arnForObjects(this.logo.s3ObjectKey),
        ],
      }),
    );
    this.serviceRole.addToPolicy(
      new iam.PolicyStatement({
        actions: ['s3:PutObject'],
        resources: [
          bucket.arnForObjects(`${PROCESSED_PREFIX}*/video.mp4`),
          bucket.arnForObjects(`${PROCESSED_PREFIX}*/thumbnail.*.jpg`),
        ],
      }),
    );
    this.acknowledgeKeyPatterns(this.serviceRole, bucket, [
      everyTask(jobSourceKey(1)),
      `${UPLOADS_PREFIX}*`,
      `${PROCESSED_PREFIX}*/video.mp4`,
      `${PROCESSED_PREFIX}*/thumbnail.*.jpg`,
    ]);

    const mediaConvertEnvironment = {
      MEDIACONVERT_ROLE_ARN: this.serviceRole.roleArn,
      MEDIACONVERT_QUEUE_ARN: this.queue.attrArn,
    };
    props.worker.function.addEnvironment('PROCESSOR', 'mediaconvert');
    props.worker.function.addEnvironment('LOGO_URI', this.logo.s3ObjectUrl);
    for (const [name, value] of Object.entries(mediaConvertEnvironment))
      props.worker.function.addEnvironment(name, value);

    // Outside the VPC: MediaConvert's API has no interface endpoint, and the isolated subnets no route out.
    this.submitter = new FunctionWithLogGroup(this, 'SubmitJob', {
      entry: 'functions/worker/submit-mediaconvert-job.ts',
      serviceName: MEDIACONVERT_SERVICE_NAME,
      description: 'Creates the MediaConvert job a worker stored for a task',
      timeout: Duration.seconds(30),
      logRetention: props.logRetention,
      environment: mediaConvertEnvironment,
    });
    const jobRequests = everyTask(jobRequestKey(1));
    grantWithEnvironment(this.submitter, {
      environment: { BUCKET_NAME: bucket.bucketName },
      grant: (fn) => {
        fn.addToRolePolicy(
          new iam.PolicyStatement({
            actions: ['s3:GetObject'],
            resources: [bucket.arnForObjects(jobRequests)],
          }),
        );
        this.acknowledgeKeyPatterns(fn, bucket, [jobRequests]);
      },
    });
    this.submitter.addToRolePolicy(
      new iam.PolicyStatement({ actions: ['mediaconvert:CreateJob'], resources: [this.queue.attrArn] }),
    );
    this.submitter.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['iam:PassRole'],
        resources: [this.serviceRole.roleArn],
        conditions: { StringEquals: { 'iam:PassedToService': 'mediaconvert.amazonaws.com' } },
      }),
    );
    bucket.addEventNotification(s3.EventType.OBJECT_CREATED, new s3n.LambdaDestination(this.submitter), {
      prefix: PROCESSED_PREFIX,
      suffix: jobRequests.slice(jobRequests.lastIndexOf('/')),
    });

    this.completion = new FunctionWithLogGroup(this, 'CompleteJob', {
      entry: 'functions/worker/complete-mediaconvert-job.ts',
      serviceName: MEDIACONVERT_SERVICE_NAME,
      description: 'Records a finished MediaConvert job on its task',
      timeout: Duration.seconds(30),
      vpc: props.network.vpc,
      securityGroups: [props.network.databaseClientSecurityGroup],
      // Its share of the connection budget; without reservations the account's own limit bounds it, as the routes.
      reservedConcurrentExecutions: (props.reserveConcurrency ?? true) ? COMPLETION_CONCURRENCY : undefined,
      logRetention: props.logRetention,
      // A job is its pilot's edit in progress: its end queues the pilot's parked tasks (docs/worker.md, "A fair worker").
      environment: { MAX_CONCURRENT_EDITS_PER_PILOT: String(props.worker.maxConcurrentEditsPerPilot) },
    });
    grantWithEnvironment(this.completion, props.database.appUse());
    // Reads check the outputs exist (HeadObject); deletes drop the logo's frame capture, the job request and a deleted task's outputs.
    grantWithEnvironment(
      this.completion,
      props.storage.objectUse({
        [PROCESSED_PREFIX]: ['s3:GetObject', 's3:DeleteObject'],
        // The wake-up of a parked task: a requeue marker, as the worker writes it.
        [REQUEUE_PREFIX]: ['s3:PutObject'],
      }),
    );

    this.rule = new events.Rule(this, 'JobStateChange', {
      description: 'Finished MediaConvert jobs of this stack',
      eventPattern: {
        source: ['aws.mediaconvert'],
        detailType: ['MediaConvert Job State Change'],
        detail: { status: ['COMPLETE', 'ERROR'], queue: [this.queue.attrArn] },
      },
      targets: [
        new targets.LambdaFunction(this.completion, { retryAttempts: 8, maxEventAge: Duration.hours(6) }),
      ],
    });
  }

  /** cdk-nag flags every object wildcard; these are key patterns inside the one bucket, each named. */
  private acknowledgeKeyPatterns(scope: Construct, bucket: s3.Bucket, patterns: string[]): void {
    const bucketLogicalId = Stack.of(this).getLogicalId(bucket.node.defaultChild as s3.CfnBucket);
    for (const pattern of patterns) {
      Validations.of(scope).acknowledge({
        id: `AwsSolutions-IAM5[Resource::<${bucketLogicalId}.Arn>/${pattern}]`,
        reason: `Object keys are per task: ${pattern} names the same object in every task's folder.`,
      });
    }
  }
}
