import {
  Aspects,
  CfnOutput,
  Fn,
  Duration,
  RemovalPolicy,
  Stack,
  type StackProps,
  Validations,
} from 'aws-cdk-lib';
import type * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as logs from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import { type RouteDefinition, routes } from '#functions/routes';
import type { TaskQuotas } from '#core/task-service';
import { AccountPurge, PURGE_ACCOUNT_CONCURRENCY } from './constructs/accounts';
import { Alarms } from './constructs/alarms';
import { Dashboard } from './constructs/dashboard';
import {
  Api,
  EMAIL_CODES_CONCURRENCY,
  PILOT_STANDING_CONCURRENCY,
  RETRY_TRANSITION_CONCURRENCY,
  routeReservation,
} from './constructs/api';
import { Cdn } from './constructs/cdn';
import { Database, type DatabaseOption } from './constructs/database';
import { Identity } from './constructs/identity';
import {
  COMPLETION_CONCURRENCY,
  MEDIACONVERT_SERVICE_NAME,
  MediaConvertBackend,
} from './constructs/mediaconvert';
import { Network } from './constructs/network';
import { Storage } from './constructs/storage';
import { Sweeper } from './constructs/sweeper';
import { COUNT_VIEWS_CONCURRENCY, Views } from './constructs/views';
import { WORKER_DEFAULTS, WORKER_SERVICE_NAME, Worker } from './constructs/worker';
import { ProviderLogGroups } from './provider-log-groups';

/** Connections kept free for PostgreSQL itself (superuser_reserved_connections, rdsadmin), migrations and a psql session. */
const DATABASE_CONNECTION_HEADROOM = 10;

/**
 * Reserved concurrency of each database route by default; a route's own `reservedConcurrency` in the route table may
 * only lower it. The 4 routes at the default × 5 + the 20 with their own (the CDN-cached public reads and the share
 * page 2 each, the rare writes 2 or 3, the caller's votes 3, the multipart steps, health, reporting 2, the admin
 * routes 1 each: 35) + worker 5 + sweeper 1 + account purge 2 + retry transition 2 + email codes 1 + views consumer 1
 * + pilot standing 1 (+ MediaConvert completion 2) = 68 (70) of a t4g.micro's 80 minus headroom 10: 2 (0) left for new
 * in-VPC functions (docs/infra.md, "The connection budget").
 */
export const DEFAULT_DATABASE_ROUTE_RESERVED_CONCURRENCY = 5;

export interface IdrlStackProps extends StackProps {
  /**
   * Browser origins, besides the API's own (which serves the console), allowed by the API's and the bucket's CORS.
   * @default - none
   */
  readonly allowedOrigins?: readonly string[];
  /**
   * Stateful resources on `cdk destroy`: RETAIN_ON_UPDATE_OR_DELETE keeps the bucket, the user pool and the database
   * with its master secret (also when replaced), yet deletes them when their own creation rolls back; DESTROY deletes
   * everything, data included.
   * @default RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE
   */
  readonly removalPolicy?: RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE | RemovalPolicy.DESTROY;
  /**
   * Deletion protection on the database and the user pool. Off by default: it also blocks the delete that rolls back
   * a failed first deploy (docs/infra.md, "Removal policies"); turn it on once the stack exists.
   * @default false
   */
  readonly deletionProtection?: boolean;
  /**
   * The operator's CloudWatch dashboard: $3 a month at list price unless the account's dashboards fit in CloudWatch's
   * always-free three (docs/cost.md). @default true
   */
  readonly dashboard?: boolean;
  /**
   * `rds`: RDS PostgreSQL on one instance. `serverless`: Aurora PostgreSQL Serverless v2 that pauses at 0 ACU when
   * idle (docs/infra.md, "Two database options"; docs/cost.md).
   * @default 'rds'
   */
  readonly database?: DatabaseOption;
  /** `serverless` only: idle time before the cluster pauses. @default Duration.minutes(5) */
  readonly databaseAutoPauseAfter?: Duration;
  /** `rds` only. @default InstanceType.of(InstanceClass.T4G, InstanceSize.MICRO) */
  readonly databaseInstanceType?: ec2.InstanceType;
  /** PostgreSQL's max_connections for the instance type (t4g.micro: about 80). @default 80 */
  readonly databaseMaxConnections?: number;
  /** Reserved concurrency (and so connection budget) of each database route; 0 reserves none. @default DEFAULT_DATABASE_ROUTE_RESERVED_CONCURRENCY (5) */
  readonly databaseRouteReservedConcurrency?: number;
  /** @default 5 */
  readonly workerMaxConcurrency?: number;
  /**
   * Edits one pilot may have in progress at once, of the worker's `workerMaxConcurrency` (docs/worker.md, "A fair
   * worker"). @default DEFAULT_MAX_CONCURRENT_EDITS_PER_PILOT (2)
   */
  readonly maxConcurrentEditsPerPilot?: number;
  /** @default 3008 */
  readonly workerMemorySize?: number;
  /** @default Duration.seconds(180) */
  readonly workerTimeout?: Duration;
  /** @default RetentionDays.ONE_MONTH */
  readonly logRetention?: logs.RetentionDays;
  /** @default - alarms are not mailed */
  readonly alarmEmail?: string;
  /**
   * What edits uploads: the ffmpeg worker, or MediaConvert behind the same worker (docs/worker.md, "Choosing a backend").
   * @default 'ffmpeg'
   */
  readonly processor?: 'ffmpeg' | 'mediaconvert';
  /** Per-pilot quotas of task creation. @default 5 unfinished tasks, 5 GiB of declared uploads per 24 h */
  readonly taskQuotas?: Partial<TaskQuotas>;
  /** Part size of multipart uploads (the local stack's browser tests use small ones). @default - 8 MiB */
  readonly multipartPartBytes?: number;
  /**
   * The CDN's web ACL (`-c waf=true`: infra/platform.ts makes it in us-east-1 and passes its ARN).
   * @default - no web ACL
   */
  readonly webAclArn?: string;
  /**
   * The league's season start dates, `YYYY-MM-DD` (UTC), increasing: the rankings' `period=season` counts the
   * votes cast since the latest one that has come (docs/api.md, "Rankings by period").
   * @default - none: `period=season` counts every vote
   */
  readonly seasonStarts?: readonly string[];
}

/**
 * The whole platform (docs/architecture.md). Throws at synth time when the concurrency that can hold database
 * connections could exceed what PostgreSQL accepts.
 */
export class IdrlStack extends Stack {
  readonly network: Network;
  readonly database: Database;
  readonly storage: Storage;
  readonly identity: Identity;
  readonly worker: Worker;
  readonly api: Api;
  readonly cdn: Cdn;
  readonly sweeper: Sweeper;
  readonly alarms: Alarms;
  /** The operator's CloudWatch dashboard (docs/operations.md, "Dashboard"); undefined with `dashboard: false`. */
  readonly dashboard: Dashboard | undefined;
  readonly accountPurge: AccountPurge;
  /** The views queue and its in-VPC consumer (docs/infra.md, "Views"). */
  readonly views: Views;
  /** Present with `processor: 'mediaconvert'`. */
  readonly mediaConvert?: MediaConvertBackend;

  constructor(scope: Construct, id: string, props: IdrlStackProps) {
    super(scope, id, props);
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE;
    const deletionProtection = props.deletionProtection ?? false;
    if (deletionProtection && removalPolicy === RemovalPolicy.DESTROY)
      throw new Error(
        'Deletion protection would keep a destroy stack from deleting its database and user pool',
      );
    const logRetention = props.logRetention ?? logs.RetentionDays.ONE_MONTH;
    const workerTimeout = props.workerTimeout ?? WORKER_DEFAULTS.timeout;
    const workerMaxConcurrency = props.workerMaxConcurrency ?? WORKER_DEFAULTS.maxConcurrency;
    const routeReserved =
      props.databaseRouteReservedConcurrency ?? DEFAULT_DATABASE_ROUTE_RESERVED_CONCURRENCY;
    const processor = props.processor ?? 'ffmpeg';
    assertConnectionBudget({
      workerMaxConcurrency,
      routeReserved,
      maxConnections: props.databaseMaxConnections ?? 80,
      completionConcurrency: processor === 'mediaconvert' ? COMPLETION_CONCURRENCY : 0,
    });

    this.network = new Network(this, 'Network', { logRetention });
    this.database = new Database(this, 'Database', {
      network: this.network,
      option: props.database,
      autoPauseAfter: props.databaseAutoPauseAfter,
      instanceType: props.databaseInstanceType,
      removalPolicy,
      deletionProtection,
      logRetention,
    });
    this.storage = new Storage(this, 'Storage', {
      allowedOrigins: props.allowedOrigins ?? [],
      workerTimeout,
      removalPolicy,
    });
    this.network.restrictS3To(this.storage.bucket);
    this.identity = new Identity(this, 'Identity', { removalPolicy, deletionProtection, logRetention });
    this.worker = new Worker(this, 'Worker', {
      network: this.network,
      database: this.database,
      storage: this.storage,
      memorySize: props.workerMemorySize,
      timeout: workerTimeout,
      maxConcurrency: workerMaxConcurrency,
      maxConcurrentEditsPerPilot: props.maxConcurrentEditsPerPilot,
      logRetention,
    });
    this.accountPurge = new AccountPurge(this, 'AccountPurge', {
      network: this.network,
      database: this.database,
      storage: this.storage,
      reserveConcurrency: routeReserved > 0,
      logRetention,
    });
    // The CDN's origin secret: the UUID CloudFormation gives this stack at creation (the last part of its id),
    // unguessable from outside and never in the template itself; free, unlike a Secrets Manager secret.
    const originSecret = Fn.select(2, Fn.split('/', this.stackId));
    // The viewer keys' HMAC key is that same per-stack UUID (docs/infra.md, "Views"): unguessable, free, and never
    // in code or in the template's text. Each use hashes under its own label, so neither reveals the other.
    this.views = new Views(this, 'Views', {
      network: this.network,
      database: this.database,
      viewerKeySecret: originSecret,
      reserveConcurrency: routeReserved > 0,
      logRetention,
    });
    this.api = new Api(this, 'Api', {
      network: this.network,
      database: this.database,
      storage: this.storage,
      identity: this.identity,
      accountPurge: this.accountPurge,
      views: this.views,
      allowedOrigins: props.allowedOrigins ?? [],
      databaseRouteReservedConcurrency: routeReserved > 0 ? routeReserved : undefined,
      taskQuotas: props.taskQuotas,
      multipartPartBytes: props.multipartPartBytes,
      seasonStarts: props.seasonStarts,
      originSecret,
      logRetention,
    });
    this.cdn = new Cdn(this, 'Cdn', { httpApi: this.api.httpApi, originSecret, webAclArn: props.webAclArn });
    // The console is served by the API through the CDN (the execute-api endpoint answers only the CDN).
    this.storage.allowBrowserOrigins([this.cdn.url]);
    this.sweeper = new Sweeper(this, 'Sweeper', {
      network: this.network,
      database: this.database,
      storage: this.storage,
      // Every sweep wakes a paused database for at least its pause delay: daily keeps the serverless option's
      // idle cost near zero (docs/cost.md), at the price of abandoned uploads failing up to a day later.
      interval: this.database.option === 'serverless' ? Duration.days(1) : undefined,
      reserveConcurrency: routeReserved > 0,
      logRetention,
    });
    if (processor === 'mediaconvert') {
      this.mediaConvert = new MediaConvertBackend(this, 'MediaConvert', {
        network: this.network,
        database: this.database,
        storage: this.storage,
        worker: this.worker,
        reserveConcurrency: routeReserved > 0,
        logRetention,
      });
    }
    // Every database client already waits for the migrations (Database.appUse); the queue must not feed the
    // worker before them either (migrations stay compatible with the previous code, which runs until then).
    this.database.migrationTrigger.executeBefore(this.worker.eventSourceMapping);
    this.alarms = new Alarms(this, 'Alarms', {
      deadLetterQueue: this.storage.deadLetterQueue,
      viewsDeadLetterQueue: this.views.deadLetterQueue,
      queue: this.storage.queue,
      httpApi: this.api.httpApi,
      databaseInstance: this.database.instance,
      sweepRunner: this.sweeper.runner,
      sweepInterval: this.sweeper.interval,
      alarmEmail: props.alarmEmail,
    });

    this.dashboard =
      props.dashboard === false
        ? undefined
        : new Dashboard(this, 'Operations', {
            alarms: this.alarms,
            queue: this.storage.queue,
            deadLetterQueue: this.storage.deadLetterQueue,
            viewsDeadLetterQueue: this.views.deadLetterQueue,
            httpApi: this.api.httpApi,
            accessLogs: this.api.accessLogs,
            worker: this.worker.function,
            editServices:
              processor === 'mediaconvert'
                ? [WORKER_SERVICE_NAME, MEDIACONVERT_SERVICE_NAME]
                : [WORKER_SERVICE_NAME],
            sweepRunner: this.sweeper.runner,
            sweep: this.sweeper.function,
            databaseInstance: this.database.instance,
          });

    Aspects.of(this).add(new ProviderLogGroups(logRetention));

    // The execute-api endpoint answers only the CDN (functions/core/edge-origin.ts): clients use the CDN's address.
    new CfnOutput(this, 'ApiUrl', {
      value: `${this.cdn.url}/`,
      description: 'Base URL of the API, through CloudFront (routes start with /api)',
    });
    new CfnOutput(this, 'ConsoleUrl', {
      value: this.cdn.url,
      description:
        'The console and the API through CloudFront (the address to share; public answers cached at the edge)',
    });
    new CfnOutput(this, 'BucketName', { value: this.storage.bucket.bucketName });
    new CfnOutput(this, 'UserPoolId', { value: this.identity.userPool.userPoolId });
    new CfnOutput(this, 'UserPoolClientId', { value: this.identity.userPoolClient.userPoolClientId });
    new CfnOutput(this, 'Region', { value: this.region });
    new CfnOutput(this, 'DeadLetterQueueArn', {
      value: this.storage.deadLetterQueue.queueArn,
      description: 'DLQ_ARN of npm run redrive (docs/operations.md)',
    });

    this.suppressAcceptedFindings();
  }

  /** cdk-nag findings accepted on purpose, each with its reason (docs/infra.md, "cdk-nag"). */
  private suppressAcceptedFindings(): void {
    Validations.of(this).acknowledge(
      {
        id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
        reason: 'The AWS-managed basic execution policy only lets a function write its own CloudWatch logs.',
      },
      {
        id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole]',
        reason:
          'The AWS-managed VPC execution policy only manages the network interfaces a VPC function needs, plus its logs.',
      },
    );
  }
}

/**
 * (worker max concurrency + Σ reserved concurrency of database routes + the sweeper + the account purge + the retry
 * transition + the email codes + the pilot standing + MediaConvert completions + the views consumer) × pool size 1
 * must stay below
 * max_connections minus headroom; otherwise a burst could be refused connections by PostgreSQL.
 */
export function assertConnectionBudget(input: {
  workerMaxConcurrency: number;
  routeReserved: number;
  maxConnections: number;
  /** Reserved concurrency of the MediaConvert completion function; 0 without that backend. @default 0 */
  completionConcurrency?: number;
}): { used: number; available: number } | undefined {
  // Without reservations only the account's concurrency limit bounds the routes: nothing to check here.
  if (input.routeReserved <= 0) return undefined;
  const reservations = (routes as readonly RouteDefinition[])
    .filter((route) => route.database)
    .map((route) => routeReservation(route, input.routeReserved) ?? 0);
  const routesTotal = reservations.reduce((sum, reserved) => sum + reserved, 0);
  const sweeper = 1;
  const purge = PURGE_ACCOUNT_CONCURRENCY;
  const retry = Math.min(RETRY_TRANSITION_CONCURRENCY, input.routeReserved);
  const emailCodes = EMAIL_CODES_CONCURRENCY;
  const standing = Math.min(PILOT_STANDING_CONCURRENCY, input.routeReserved);
  const completion = input.completionConcurrency ?? 0;
  const views = COUNT_VIEWS_CONCURRENCY;
  const used =
    input.workerMaxConcurrency +
    routesTotal +
    sweeper +
    purge +
    retry +
    emailCodes +
    standing +
    completion +
    views;
  const available = input.maxConnections - DATABASE_CONNECTION_HEADROOM;
  if (used > available) {
    throw new Error(
      `Database connection budget exceeded: worker ${input.workerMaxConcurrency} + ${reservations.length} routes (${reservations.join(' + ')}) + sweeper ${sweeper} + account purge ${purge} + retry ${retry} + email codes ${emailCodes} + pilot standing ${standing} + completion ${completion} + views ${views} = ${used} > ${available} (max_connections ${input.maxConnections} − headroom ${DATABASE_CONNECTION_HEADROOM})`,
    );
  }
  return { used, available };
}
