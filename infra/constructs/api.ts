import { Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import { AccessLogFormat } from 'aws-cdk-lib/aws-apigateway';
import * as apigwv2 from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpLambdaAuthorizer, HttpLambdaResponseType } from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { ORIGIN_VERIFY_VARIABLE } from '#core/edge-origin';
import { PROCESSED_PREFIX, REQUEUE_PREFIX, UPLOADS_PREFIX } from '#core/object-keys';
import { DEFAULT_TASK_QUOTAS, type TaskQuotas } from '#core/task-service';
import {
  AUTHORIZER_CACHE_TTL_SECONDS,
  DEFAULT_STAGE_THROTTLE,
  routes,
  type RouteDefinition,
  type RouteName,
} from '#functions/routes';
import type { AccountPurge } from './accounts';
import type { Database } from './database';
import type { Identity, IdentityAdminAction } from './identity';
import { InvokedFunction } from './invoked-function';
import { FunctionWithLogGroup, grantWithEnvironment } from './lambda-defaults';
import type { Network } from './network';
import type { ObjectAccess, Storage } from './storage';
import type { Views } from './views';

/** What a route's function may touch besides PostgreSQL (which the route table's `database` flag decides). */
export interface RouteAccess {
  /** Object actions by prefix. Presigned URLs carry the signer's permissions, so these bound what a URL can do. */
  readonly objects?: ObjectAccess;
  /** Cognito admin actions; present (even empty) when the function calls Cognito at all. */
  readonly identity?: readonly IdentityAdminAction[];
  /** Invokes the in-VPC account purge (and waits for it). */
  readonly purgesAccounts?: true;
  /** Lists unfinished multipart uploads under uploads/ (to abort them). */
  readonly listsMultipartUploads?: true;
  /** Invokes the in-VPC retry transition (and waits for it), then queues the upload with SQS SendMessage. */
  readonly retriesTasks?: true;
  /** Sends reported plays to the views queue (SQS SendMessage) under the stack's viewer key. */
  readonly reportsViews?: true;
  /** Verifies Cognito access tokens itself (a route without the authorizer that still tells logged-in callers). */
  readonly verifiesTokens?: true;
  /** Invokes the in-VPC email codes (and waits for them). */
  readonly usesEmailCodes?: true;
  /** Invokes the in-VPC pilot-standing function (suspend, reinstate) and waits for it. */
  readonly recordsPilotStanding?: true;
}

/**
 * The retry transition's reserved concurrency, below the stack's per-route reservation: a pilot's button after a
 * failure, two at a time is plenty and leaves the connections to the others.
 */
export const RETRY_TRANSITION_CONCURRENCY = 2;

/**
 * What the retry route does besides waiting for its transition: one SendMessage (at most 2 attempts of 1 s to
 * connect and 2 s to answer, functions/commons/clients.ts) and, when that fails, the revert's invocation.
 */
const RETRY_CALLER_OVERHEAD = Duration.seconds(8);

/**
 * The email codes' reserved concurrency: a sign-up or a pilot typing a code, throttled at 5/s per route; one at a
 * time (a few ms each) is the connection it may hold.
 */
export const EMAIL_CODES_CONCURRENCY = 1;

/** What the routes invoking the email codes do besides waiting: up to three Cognito calls. */
const EMAIL_CODES_CALLER_OVERHEAD = Duration.seconds(6);
/** The suspension records' reserved concurrency: an admin's click, one at a time (docs/infra.md, "The connection budget"). */
export const PILOT_STANDING_CONCURRENCY = 1;

/** What suspend and reinstate do besides waiting for the records: two or three Cognito calls. */
const PILOT_STANDING_CALLER_OVERHEAD = Duration.seconds(5);

/** A task's original is signed by the version the task recorded (docs/worker.md, "Single-use uploads"). */
const READ_TASK_OBJECTS: ObjectAccess = {
  [UPLOADS_PREFIX]: ['s3:GetObject', 's3:GetObjectVersion'],
  [PROCESSED_PREFIX]: ['s3:GetObject'],
};

/**
 * Least privilege per route (docs/infra.md, "Per-function IAM"). A route missing here gets no access beyond
 * the database flag of the route table: new routes start with nothing.
 */
const ROUTE_ACCESS: Partial<Record<RouteName, RouteAccess>> = {
  // The account, then its first code: mailed by marking the (new) email unverified with AdminUpdateUserAttributes.
  signup: {
    identity: [
      'cognito-idp:AdminCreateUser',
      'cognito-idp:AdminSetUserPassword',
      'cognito-idp:AdminDeleteUser',
      'cognito-idp:AdminUpdateUserAttributes',
    ],
    usesEmailCodes: true,
  },
  // The account's email and its flag, then the flag set (or the code mailed).
  'verify-email': {
    identity: ['cognito-idp:AdminGetUser', 'cognito-idp:AdminUpdateUserAttributes'],
    usesEmailCodes: true,
  },
  'resend-verification': {
    identity: ['cognito-idp:AdminGetUser', 'cognito-idp:AdminUpdateUserAttributes'],
    usesEmailCodes: true,
  },
  // The email alias is resolved by Cognito itself: login needs no admin action.
  login: { identity: [] },
  // The password is checked with the public InitiateAuth; the sub is compared before anything is deleted.
  'delete-account': {
    identity: ['cognito-idp:AdminGetUser', 'cognito-idp:AdminDeleteUser'],
    purgesAccounts: true,
  },
  refresh: { identity: [] },
  // RevokeToken is a public client API (the refresh token is the credential): no IAM.
  logout: { identity: [] },
  // ForgotPassword and ConfirmForgotPassword are public client APIs (the code is the credential); ending every
  // session after a reset is the admin call.
  'forgot-password': { identity: [] },
  'reset-password': { identity: ['cognito-idp:AdminUserGlobalSignOut'] },
  // The account's attributes and its group memberships (admin), read fresh at each call.
  me: { identity: ['cognito-idp:AdminGetUser', 'cognito-idp:AdminListGroupsForUser'] },
  // The presigned POST is signed with this function's credentials: this is all an upload can ever do.
  'create-task': { objects: { [UPLOADS_PREFIX]: ['s3:PutObject'] } },
  // Tasks in a list carry the same presigned download URLs as a single task.
  'list-tasks': { objects: READ_TASK_OBJECTS },
  'get-task': { objects: READ_TASK_OBJECTS },
  // A re-cut puts the task back on the upload queue with an empty marker under requeue/ (#core/requeue).
  'update-task': { objects: { ...READ_TASK_OBJECTS, [REQUEUE_PREFIX]: ['s3:PutObject'] } },
  // Public answers carry presigned URLs of the edited video and its poster only, never the original.
  'list-public-videos': { objects: { [PROCESSED_PREFIX]: ['s3:GetObject'] } },
  'get-public-video': { objects: { [PROCESSED_PREFIX]: ['s3:GetObject'] } },
  'get-pilot': { objects: { [PROCESSED_PREFIX]: ['s3:GetObject'] } },
  // Its tags carry the poster's and the edit's presigned URLs.
  'share-page': { objects: { [PROCESSED_PREFIX]: ['s3:GetObject'] } },
  // The original's recorded version goes for good with the task (DeleteObject with VersionId); outputs by key.
  'delete-task': {
    objects: {
      [UPLOADS_PREFIX]: ['s3:DeleteObject', 's3:DeleteObjectVersion', 's3:AbortMultipartUpload'],
      [PROCESSED_PREFIX]: ['s3:DeleteObject'],
    },
    listsMultipartUploads: true,
  },
  // A fresh upload aborts the task's unfinished one before creating its own.
  'start-multipart-upload': {
    objects: { [UPLOADS_PREFIX]: ['s3:PutObject', 's3:AbortMultipartUpload'] },
    listsMultipartUploads: true,
  },
  // Part URLs are signed with this function's credentials: PutObject covers UploadPart, nothing more.
  'sign-upload-parts': { objects: { [UPLOADS_PREFIX]: ['s3:PutObject'] } },
  'list-upload-parts': { objects: { [UPLOADS_PREFIX]: ['s3:ListMultipartUploadParts'] } },
  // Completes (PutObject) or aborts after listing the parts, then answers the task with its download URLs.
  'complete-multipart-upload': {
    objects: {
      [UPLOADS_PREFIX]: [
        's3:PutObject',
        's3:AbortMultipartUpload',
        's3:ListMultipartUploadParts',
        's3:GetObject',
        's3:GetObjectVersion',
      ],
      [PROCESSED_PREFIX]: ['s3:GetObject'],
    },
  },
  // Its transition (inside the VPC) signs the original's download URL of the answer.
  'retry-task': { retriesTasks: true },
  // A logged-in viewer is one viewer on every device: the token is checked here, not by the authorizer, since an
  // anonymous play is not a 401.
  'record-view': { reportsViews: true, verifiesTokens: true },
  // The pilot by name (AdminGetUser), then no sign-in and every session ended; the records inside the VPC.
  'suspend-pilot': {
    identity: [
      'cognito-idp:AdminGetUser',
      'cognito-idp:AdminDisableUser',
      'cognito-idp:AdminUserGlobalSignOut',
    ],
    recordsPilotStanding: true,
  },
  'reinstate-pilot': {
    identity: ['cognito-idp:AdminGetUser', 'cognito-idp:AdminEnableUser'],
    recordsPilotStanding: true,
  },
};

/** The reserved concurrency of one database route under the stack's per-route reservation (undefined: none). */
export function routeReservation(route: RouteDefinition, perRoute: number | undefined): number | undefined {
  return perRoute === undefined ? undefined : Math.min(perRoute, route.reservedConcurrency ?? perRoute);
}

export interface ApiProps {
  readonly network: Network;
  readonly database: Database;
  readonly storage: Storage;
  readonly identity: Identity;
  /** The in-VPC half of DELETE /api/auth/me. */
  readonly accountPurge: AccountPurge;
  /** The views queue POST /api/public/videos/{id}/views sends to. */
  readonly views: Views;
  /** Origins other than the API's own allowed by CORS (e.g. a console dev server). Empty: no CORS. */
  readonly allowedOrigins: readonly string[];
  /**
   * Reserved concurrency of each route that uses PostgreSQL: with a pool of one connection per instance, this is
   * that route's connection budget. The stack chooses it against the database's connection limit.
   * @default - no reservation
   */
  readonly databaseRouteReservedConcurrency?: number;
  /** Per-pilot quotas of create-task (functions/core/task-service.ts). @default DEFAULT_TASK_QUOTAS: 5 unfinished tasks, 5 GiB a day */
  readonly taskQuotas?: Partial<TaskQuotas>;
  /**
   * MULTIPART_PART_BYTES of the functions that plan multipart uploads; small parts let the local stack's browser
   * tests cut a few-MB video into many (docs/local-stack.md). @default - unset: DEFAULT_PART_BYTES (8 MiB)
   */
  readonly multipartPartBytes?: number;
  /** LEAGUE_SEASON_STARTS of the rankings (#core/seasons), validated at synth. @default - none */
  readonly seasonStarts?: readonly string[];
  /**
   * The value every route function requires in ORIGIN_VERIFY_HEADER (the CDN's origin secret,
   * functions/core/edge-origin.ts). @default - none: the functions answer any request
   */
  readonly originSecret?: string;
  /** @default 50 requests per second */
  readonly throttlingRateLimit?: number;
  /** @default 100 requests */
  readonly throttlingBurstLimit?: number;
  /** How long API Gateway caches an authorizer answer per token. @default Duration.seconds(AUTHORIZER_CACHE_TTL_SECONDS), 5 minutes */
  readonly authorizerCacheTtl?: Duration;
  /** @default RetentionDays.ONE_MONTH */
  readonly logRetention?: logs.RetentionDays;
}

/** The HTTP API: one Lambda per entry of the route table, behind the Lambda authorizer where `auth` is set. */
export class Api extends Construct {
  readonly httpApi: apigwv2.HttpApi;
  readonly stage: apigwv2.HttpStage;
  readonly authorizerFunction: FunctionWithLogGroup;
  /** The stage's access log: one JSON object per request (accessLogFormat below). */
  readonly accessLogs: logs.LogGroup;
  readonly routeFunctions: ReadonlyMap<RouteName, FunctionWithLogGroup>;
  /** The database half of POST /api/tasks/{id}/retry, inside the VPC (functions/ops/retry-transition.ts). */
  readonly retryTransition: InvokedFunction;
  /** The verification codes and the verified mirror, inside the VPC (functions/ops/email-codes.ts). */
  readonly emailCodes: InvokedFunction;
  /** The database half of suspend and reinstate, inside the VPC (functions/ops/pilot-standing.ts). */
  readonly pilotStanding: InvokedFunction;

  constructor(scope: Construct, id: string, props: ApiProps) {
    super(scope, id);

    this.retryTransition = new InvokedFunction(this, 'RetryTransition', {
      network: props.network,
      database: props.database,
      entry: 'functions/ops/retry-transition.ts',
      serviceName: 'idrl-api',
      description:
        'Puts a failed task back to uploaded, or reverts that (invoked by POST /api/tasks/{id}/retry)',
      reservedConcurrency:
        props.databaseRouteReservedConcurrency === undefined
          ? undefined
          : Math.min(RETRY_TRANSITION_CONCURRENCY, props.databaseRouteReservedConcurrency),
      callerOverhead: RETRY_CALLER_OVERHEAD,
      logRetention: props.logRetention,
    });
    grantWithEnvironment(
      this.retryTransition.function,
      props.storage.objectUse({ [UPLOADS_PREFIX]: ['s3:GetObject', 's3:GetObjectVersion'] }),
    );

    this.emailCodes = new InvokedFunction(this, 'EmailCodes', {
      network: props.network,
      database: props.database,
      entry: 'functions/ops/email-codes.ts',
      serviceName: 'idrl-api',
      description:
        'Issues and checks email-verification codes, records the verified email (invoked by signup and verify-email)',
      reservedConcurrency:
        props.databaseRouteReservedConcurrency === undefined ? undefined : EMAIL_CODES_CONCURRENCY,
      callerOverhead: EMAIL_CODES_CALLER_OVERHEAD,
      logRetention: props.logRetention,
    });

    this.pilotStanding = new InvokedFunction(this, 'PilotStanding', {
      network: props.network,
      database: props.database,
      entry: 'functions/ops/pilot-standing.ts',
      serviceName: 'idrl-api',
      description: "Records a pilot's suspension or reinstatement (invoked by the admin routes)",
      reservedConcurrency:
        props.databaseRouteReservedConcurrency === undefined
          ? undefined
          : Math.min(PILOT_STANDING_CONCURRENCY, props.databaseRouteReservedConcurrency),
      callerOverhead: PILOT_STANDING_CALLER_OVERHEAD,
      logRetention: props.logRetention,
    });

    this.httpApi = new apigwv2.HttpApi(this, 'HttpApi', {
      description: 'IDRL video platform API',
      createDefaultStage: false,
      // The console served by this API is same-origin; CORS is only for other origins (a dev server, a CDN).
      corsPreflight:
        props.allowedOrigins.length > 0
          ? {
              allowOrigins: [...props.allowedOrigins],
              allowMethods: [
                apigwv2.CorsHttpMethod.GET,
                apigwv2.CorsHttpMethod.POST,
                apigwv2.CorsHttpMethod.PATCH,
                apigwv2.CorsHttpMethod.DELETE,
                apigwv2.CorsHttpMethod.OPTIONS,
              ],
              allowHeaders: ['Authorization', 'Content-Type'],
              maxAge: Duration.days(1),
            }
          : undefined,
    });

    this.accessLogs = new logs.LogGroup(this, 'AccessLogs', {
      retention: props.logRetention ?? logs.RetentionDays.ONE_MONTH,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    this.stage = new apigwv2.HttpStage(this, 'DefaultStage', {
      httpApi: this.httpApi,
      stageName: '$default',
      autoDeploy: true,
      throttle: {
        rateLimit: props.throttlingRateLimit ?? DEFAULT_STAGE_THROTTLE.rateLimit,
        burstLimit: props.throttlingBurstLimit ?? DEFAULT_STAGE_THROTTLE.burstLimit,
      },
      accessLogSettings: {
        destination: new apigwv2.LogGroupLogDestination(this.accessLogs),
        format: accessLogFormat(),
      },
    });

    this.authorizerFunction = new FunctionWithLogGroup(this, 'Authorizer', {
      entry: 'functions/api/authorizer.ts',
      serviceName: 'idrl-api',
      description: 'Verifies Cognito access tokens for the HTTP API',
      logRetention: props.logRetention,
    });
    grantWithEnvironment(this.authorizerFunction, props.identity.verifierUse());
    // Admin routes: a token that claims the admins group is checked against Cognito's membership now.
    grantWithEnvironment(
      this.authorizerFunction,
      props.identity.clientUse(['cognito-idp:AdminListGroupsForUser']),
    );
    const authorizer = new HttpLambdaAuthorizer('CognitoAccessToken', this.authorizerFunction, {
      responseTypes: [HttpLambdaResponseType.SIMPLE],
      identitySource: ['$request.header.Authorization'],
      resultsCacheTtl: props.authorizerCacheTtl ?? Duration.seconds(AUTHORIZER_CACHE_TTL_SECONDS),
    });

    const functions = new Map<RouteName, FunctionWithLogGroup>();
    const routeSettings: Record<string, { ThrottlingRateLimit: number; ThrottlingBurstLimit: number }> = {};
    const cfnStage = this.stage.node.defaultChild as apigwv2.CfnStage;
    for (const route of routes as readonly (RouteDefinition & { name: RouteName })[]) {
      const fn = this.routeFunction(route, props);
      functions.set(route.name, fn);
      const [httpRoute] = this.httpApi.addRoutes({
        path: route.path,
        methods: [apigwv2.HttpMethod[route.method]],
        integration: new HttpLambdaIntegration(`${constructId(route.name)}Integration`, fn),
        authorizer: route.auth ? authorizer : undefined,
      });
      if (route.throttle && httpRoute) {
        routeSettings[`${route.method} ${route.path}`] = {
          ThrottlingRateLimit: route.throttle.rateLimit,
          ThrottlingBurstLimit: route.throttle.burstLimit,
        };
        // Route settings name route keys: the stage fails to deploy before its routes exist.
        cfnStage.node.addDependency(httpRoute);
      }
      if (!route.auth && httpRoute) {
        Validations.of(httpRoute).acknowledge({
          id: 'AwsSolutions-APIG4',
          reason: `${route.method} ${route.path} is public by design (${route.summary}).`,
        });
      }
    }
    this.routeFunctions = functions;
    cfnStage.routeSettings = routeSettings;
    // The console's Content-Security-Policy names this bucket's host and no other (functions/api/console.ts):
    // the name only, no permission on it. console-asset runs the same module, which computes the policy at cold
    // start, so it needs the name too (without it every script, style and icon answered 500).
    for (const name of ['console', 'console-asset'] as const)
      functions.get(name)?.addEnvironment('BUCKET_NAME', props.storage.bucket.bucketName);
    if (props.originSecret !== undefined)
      for (const fn of functions.values()) fn.addEnvironment(ORIGIN_VERIFY_VARIABLE, props.originSecret);

    // Explicit even at their defaults, so the deployed quotas can be read off the function's configuration;
    // on every function whose use case checks them (TaskService.create and .beginRetry), or they would disagree.
    const quotas = props.taskQuotas ?? {};
    for (const fn of [functions.get('create-task'), this.retryTransition.function]) {
      fn?.addEnvironment(
        'MAX_UNFINISHED_TASKS',
        String(quotas.maxUnfinishedTasks ?? DEFAULT_TASK_QUOTAS.maxUnfinishedTasks),
      );
      fn?.addEnvironment(
        'MAX_DAILY_UPLOAD_BYTES',
        String(quotas.maxDailyUploadBytes ?? DEFAULT_TASK_QUOTAS.maxDailyUploadBytes),
      );
    }
    functions
      .get('update-task')
      ?.addEnvironment(
        'MAX_DAILY_RECUTS',
        String(quotas.maxDailyRecuts ?? DEFAULT_TASK_QUOTAS.maxDailyRecuts),
      );
    if (props.seasonStarts !== undefined && props.seasonStarts.length > 0)
      functions.get('rankings')?.addEnvironment('LEAGUE_SEASON_STARTS', props.seasonStarts.join(','));
    if (props.multipartPartBytes !== undefined) {
      for (const fn of [...functions.values(), this.retryTransition.function])
        fn.addEnvironment('MULTIPART_PART_BYTES', String(props.multipartPartBytes));
    }
  }

  private routeFunction(route: RouteDefinition & { name: RouteName }, props: ApiProps): FunctionWithLogGroup {
    const access = ROUTE_ACCESS[route.name] ?? {};
    const fn = new FunctionWithLogGroup(this, constructId(route.name), {
      entry: `functions/api/${route.name}.ts`,
      serviceName: 'idrl-api',
      description: `${route.method} ${route.path}: ${route.summary}`,
      logRetention: props.logRetention,
      ...(route.database
        ? {
            vpc: props.network.vpc,
            securityGroups: [props.network.databaseClientSecurityGroup],
            reservedConcurrentExecutions: routeReservation(route, props.databaseRouteReservedConcurrency),
            timeout: props.database.routeTimeout,
          }
        : {}),
      ...(access.purgesAccounts ? { timeout: props.accountPurge.callerTimeout } : {}),
      ...(access.retriesTasks ? { timeout: this.retryTransition.callerTimeout } : {}),
      ...(access.usesEmailCodes ? { timeout: this.emailCodes.callerTimeout } : {}),
      ...(access.recordsPilotStanding ? { timeout: this.pilotStanding.callerTimeout } : {}),
    });
    if (route.database) grantWithEnvironment(fn, props.database.appUse());
    if (access.objects) grantWithEnvironment(fn, props.storage.objectUse(access.objects));
    if (access.identity) grantWithEnvironment(fn, props.identity.clientUse(access.identity));
    if (access.purgesAccounts)
      grantWithEnvironment(fn, props.accountPurge.invokerUse('PURGE_ACCOUNT_FUNCTION'));
    if (access.usesEmailCodes) grantWithEnvironment(fn, this.emailCodes.invokerUse('EMAIL_CODES_FUNCTION'));
    if (access.listsMultipartUploads) grantWithEnvironment(fn, props.storage.multipartListingUse());
    if (access.recordsPilotStanding)
      grantWithEnvironment(fn, this.pilotStanding.invokerUse('PILOT_STANDING_FUNCTION'));
    if (access.retriesTasks) {
      grantWithEnvironment(fn, this.retryTransition.invokerUse('RETRY_TRANSITION_FUNCTION'));
      grantWithEnvironment(fn, props.storage.queueSendUse());
    }
    if (access.reportsViews) grantWithEnvironment(fn, props.views.reportUse());
    if (access.verifiesTokens) grantWithEnvironment(fn, props.identity.verifierUse());
    return fn;
  }
}

/** `create-task` → `CreateTask`. */
function constructId(routeName: string): string {
  return routeName.replace(/(^|-)([a-z])/g, (_match, _dash: string, letter: string) => letter.toUpperCase());
}

/** One JSON object per request: the fields needed to trace a request and tell authorizer from handler failures. */
function accessLogFormat(): AccessLogFormat {
  return AccessLogFormat.custom(
    JSON.stringify({
      requestId: '$context.requestId',
      ip: '$context.identity.sourceIp',
      requestTime: '$context.requestTime',
      routeKey: '$context.routeKey',
      status: '$context.status',
      protocol: '$context.protocol',
      responseLength: '$context.responseLength',
      latencyMs: '$context.responseLatency',
      integrationError: '$context.integrationErrorMessage',
      authorizerError: '$context.authorizer.error',
    }),
  );
}
