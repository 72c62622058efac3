import { Duration } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as lambdaEventSources from 'aws-cdk-lib/aws-lambda-event-sources';
import type * as logs from 'aws-cdk-lib/aws-logs';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type { Database } from './database';
import { FunctionWithLogGroup, grantWithEnvironment, type ResourceUse } from './lambda-defaults';
import type { Network } from './network';

/** The consumer's reserved concurrency: its share of the database connection budget (infra/stack.ts). */
export const COUNT_VIEWS_CONCURRENCY = 1;

/**
 * Batching (docs/infra.md, "Views"): up to this many plays per invocation, gathered for at most the window, so a
 * busy gallery costs one statement per hundred plays and a quiet one waits a few seconds for its count.
 */
export const VIEWS_BATCH_SIZE = 100;
export const VIEWS_BATCHING_WINDOW = Duration.seconds(5);

/** One batch is one statement of a few ms; the rest is room for a waking serverless database. */
const CONSUMER_TIMEOUT = Duration.seconds(30);

/**
 * Receives before a batch is dead-lettered: generous, because the event source's pollers (at least 2) can meet the
 * reservation of 1 and see a batch throttled back to the queue, which counts as a receive.
 */
const MAX_VIEW_RECEIVES = 10;

export interface ViewsProps {
  readonly network: Network;
  readonly database: Database;
  /**
   * The HMAC key of the viewer keys (#core/views): the stack's secret, never in code or in the template's text.
   * At least per-deployment unguessable; the stack passes the UUID CloudFormation gave it.
   */
  readonly viewerKeySecret: string;
  /** Reserve {@link COUNT_VIEWS_CONCURRENCY}, as the database routes reserve theirs. @default true */
  readonly reserveConcurrency?: boolean;
  /** @default RetentionDays.ONE_MONTH */
  readonly logRetention?: logs.RetentionDays;
}

/**
 * Counting plays without a database write in the request (docs/infra.md, "Views"): POST
 * /api/public/videos/{id}/views (outside the VPC) sends one message to this queue, and the consumer inside the VPC
 * counts each batch in one statement. A message is worth nothing after yesterday (the consumer drops it), so the
 * queue keeps messages one day.
 */
export class Views extends Construct {
  readonly queue: sqs.Queue;
  readonly deadLetterQueue: sqs.Queue;
  readonly consumer: FunctionWithLogGroup;
  /** The queue → consumer mapping: the stack runs the migrations before it (the consumer needs migration 14). */
  readonly eventSourceMapping: lambda.EventSourceMapping;
  private readonly viewerKeySecret: string;

  constructor(scope: Construct, id: string, props: ViewsProps) {
    super(scope, id);
    this.viewerKeySecret = props.viewerKeySecret;
    this.deadLetterQueue = new sqs.Queue(this, 'DeadLetterQueue', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(4),
    });
    this.queue = new sqs.Queue(this, 'Queue', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      // AWS's advice for an event source: at least six times the function's timeout.
      visibilityTimeout: Duration.seconds(CONSUMER_TIMEOUT.toSeconds() * 6),
      retentionPeriod: Duration.days(1),
      deadLetterQueue: { queue: this.deadLetterQueue, maxReceiveCount: MAX_VIEW_RECEIVES },
    });

    this.consumer = new FunctionWithLogGroup(this, 'CountViews', {
      entry: 'functions/ops/count-views.ts',
      serviceName: 'idrl-views',
      description: 'Counts queued plays of public videos, once per viewer per day',
      timeout: CONSUMER_TIMEOUT,
      vpc: props.network.vpc,
      securityGroups: [props.network.databaseClientSecurityGroup],
      reservedConcurrentExecutions: (props.reserveConcurrency ?? true) ? COUNT_VIEWS_CONCURRENCY : undefined,
      logRetention: props.logRetention,
    });
    grantWithEnvironment(this.consumer, props.database.appUse());
    this.consumer.addEventSource(
      new lambdaEventSources.SqsEventSource(this.queue, {
        batchSize: VIEWS_BATCH_SIZE,
        maxBatchingWindow: VIEWS_BATCHING_WINDOW,
        // The fewest pollers an SQS event source allows.
        maxConcurrency: 2,
      }),
    );
    const [mapping] = this.consumer.node.children.filter(
      (child): child is lambda.EventSourceMapping => child instanceof lambda.EventSourceMapping,
    );
    if (mapping === undefined) throw new Error('The SQS event source created no event source mapping');
    this.eventSourceMapping = mapping;
    props.database.migrationTrigger.executeBefore(mapping);
  }

  /** VIEW_QUEUE_URL, the viewer key and sqs:SendMessage on the views queue only: the record-view route's. */
  reportUse(): ResourceUse {
    return {
      environment: { VIEW_QUEUE_URL: this.queue.queueUrl, VIEWER_KEY_SECRET: this.viewerKeySecret },
      grant: (fn) => {
        iam.Grant.addToPrincipal({
          grantee: fn,
          actions: ['sqs:SendMessage'],
          resourceArns: [this.queue.queueArn],
        });
      },
    };
  }
}
