/**
 * The whole platform on one machine (docs/spec.md §8), derived from the synthesized CDK template
 * (infra/local/template/, derive.ts): every function the template defines runs its own bundle in
 * execution environments of its own (runtime/), with its template environment, timeout, memory and
 * concurrency; the gateway serves the template's routes, authorizer and throttles; the queue has the
 * template queue's visibility timeout, redrive and the event source's batch size and concurrency; the
 * schedules are the template's. PostgreSQL, s3rver and cognito-local stand in for RDS, S3 and Cognito.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { HeadObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import type { S3Event, SQSBatchResponse, ScheduledEvent } from 'aws-lambda';
import pg from 'pg';
import type { TaskRepository } from '#core/ports';
import { UPLOADS_PREFIX } from '#core/object-keys';
import { PgTaskRepository } from '#adapters/pg/task-repository';
import { type HttpMethod, type RouteDefinition, perClientRules } from '#functions/routes';
import { type AuthorizerHandler, type Gateway, type GatewayRoute, startGateway } from './gateway';
import { mailboxAnswer } from './services/mailbox';
import { LOCAL_ACCOUNT_ID } from './lambda-context';
import type { InvocableHandler } from './lambda-api';
import { type SqsQueue, createSqsQueue, startBoss } from './queue';
import { sqsApi } from './sqs-endpoint';
import { type BackingServices, LOCAL_BUCKET, LOCAL_REGION, startBackingServices } from './services/backing';
import { LocalStackConfigError } from './errors';
import { assertPortFree, ensureStateDir, freePort } from './services/preflight';
import { S3RVER_CREDENTIALS, storedObjectNotification } from './services/s3';
import { type CloudAssembly, cachedSynth } from './template/synth';
import { type LocalTemplate, type TemplateHttpApi, readTemplate } from './template/reader';
import {
  type CredentialsFor,
  LOCAL_ACCOUNT,
  type LocalWorld,
  type SkippedFunction,
  cdnOriginHeaders,
  deriveFunctions,
  eventSourceQueues,
  localQueueNames,
  UPLOAD_QUEUE_NAME,
  localResources,
  LOCAL_DATABASE_RESOURCE_ID,
  runningFunctions,
  scheduleCron,
} from './derive';
import { type IamEnforcer, createIamEnforcer } from './iam/enforcer';
import { startS3Proxy } from './iam/s3-proxy';
import { startJsonServiceProxy } from './iam/json-service-proxy';
import { ensureGateCertificate, startPgGate } from './iam/pg-gate';
import { localIamSetup, operatorPrincipal, unrestrictedPrincipal } from './principals';
import { FunctionHost, type InvocationOutcome } from './runtime/function-host';
import { DEFAULT_STACK_NAME } from '../stack-name';

export interface LocalStackPorts {
  gateway: number;
  postgres: number;
  /** s3rver itself. */
  s3: number;
  /** The IAM-enforcing S3 proxy in front of it: the S3 endpoint of the functions and of the browser. */
  s3Iam: number;
  cognito: number;
}

export interface LocalStackOptions {
  stateDir: string;
  ports: LocalStackPorts;
  /** Use this PostgreSQL server (DATABASE_URL) instead of the embedded one. */
  externalDatabaseUrl?: string;
  /** CDK context of the synth the stack is derived from (`-c key=value`, e.g. workerTimeoutSeconds). @default {} */
  context?: Readonly<Record<string, string>>;
  /** Delay before a failed message is delivered again. @default 10 */
  retryDelaySeconds?: number;
  /** Runs the template's schedules on this cron instead of their own expression (minute resolution). */
  scheduleCronOverride?: string;
  /** Origins besides the console's own allowed by the gateway's and the bucket's CORS. @default [] */
  corsOrigins?: string[];
  /** Enforce IAM (LOCAL_IAM=off turns it off, for debugging only). @default true */
  iam?: boolean;
  /**
   * Apply the per-client limits of functions/routes.ts at the gateway, WAF's stand-in (LOCAL_PER_CLIENT_LIMITS=off
   * turns them off: the e2e suite signs up and votes far beyond them from one address). @default true
   */
  perClientLimits?: boolean;
  log: (message: string) => void;
}

export interface LocalStack {
  urls: { console: string; api: string; s3: string; cognito: string; database: string };
  /** The upload queue's DLQ, for `npm run redrive` (DLQ_ARN, with AWS_ENDPOINT_URL_SQS at the gateway). */
  deadLetterQueueArn: string;
  /** The names the banner shows. */
  names: { bucket: string; userPoolId: string; clientId: string; ffmpeg: string };
  /** The S3 endpoint the functions and the browser use: the IAM-enforcing proxy, or s3rver without IAM. */
  s3Endpoint: string;
  /**
   * The Cognito endpoint of the functions and of `npm run admin` (AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER): the
   * IAM-enforcing proxy, or cognito-local without IAM.
   */
  cognitoEndpoint: string;
  /** The runbook's credentials for the gateway's SQS surface (`npm run redrive`) and the Cognito endpoint (`npm run admin`). */
  operatorCredentials: { accessKeyId: string; secretAccessKey: string };
  /** What the template defines that has no local twin. */
  skipped: SkippedFunction[];
  assembly: CloudAssembly;
  stop(): Promise<void>;
}

const SCHEDULE_QUEUE_PREFIX = 'idrl-schedule-';
/** Where the database gate listens: the address the functions' tokens sign. */
const LOOPBACK_IP = '127.0.0.1';

/** A promise settled from outside: S3 notifications may arrive before the queue is ready. */
function deferred<T>(): {
  promise: Promise<T>;
  resolve: (value: T) => void;
  reject: (error: unknown) => void;
} {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/**
 * Uploads that s3rver stored but that never reached the queue (the stack stopped between the
 * two, and the client got an error) still have their task in awaiting_upload: queue them again.
 * A duplicate of a message that is already queued is harmless; the worker's transitions are
 * conditional.
 */
export async function reconcileUploads(deps: {
  s3: S3Client;
  bucket: string;
  repository: TaskRepository;
  queue: SqsQueue;
}): Promise<number> {
  let queued = 0;
  let continuationToken: string | undefined;
  do {
    const page = await deps.s3.send(
      new ListObjectsV2Command({
        Bucket: deps.bucket,
        Prefix: UPLOADS_PREFIX,
        ContinuationToken: continuationToken,
      }),
    );
    for (const object of page.Contents ?? []) {
      if (object.Key === undefined) continue;
      const task = await deps.repository.findByOriginalKey(object.Key);
      if (task?.status !== 'awaiting_upload') continue;
      // The version the task will record: the one stored now, as S3 would have named it in the lost notification.
      const { VersionId: versionId } = await deps.s3.send(
        new HeadObjectCommand({ Bucket: deps.bucket, Key: object.Key }),
      );
      const notification = storedObjectNotification({
        bucket: deps.bucket,
        key: object.Key,
        ...(versionId === undefined ? {} : { versionId }),
        size: object.Size ?? 0,
        eTag: (object.ETag ?? '').replaceAll('"', ''),
        region: LOCAL_REGION,
        storedAt: object.LastModified ?? new Date(),
      });
      await deps.queue.send(JSON.stringify(notification));
      queued += 1;
    }
    continuationToken = page.NextContinuationToken;
  } while (continuationToken !== undefined);
  return queued;
}

function scheduledEvent(ruleName: string): ScheduledEvent {
  return {
    version: '0',
    id: randomUUID(),
    'detail-type': 'Scheduled Event',
    source: 'aws.events',
    account: LOCAL_ACCOUNT_ID,
    time: new Date().toISOString(),
    region: LOCAL_REGION,
    resources: [`arn:aws:events:${LOCAL_REGION}:${LOCAL_ACCOUNT_ID}:rule/${ruleName}`],
    detail: {},
  };
}

/** PostgreSQL's admin_shutdown: the server is stopping and ends the session. */
const ADMIN_SHUTDOWN = '57P01';

function describeError(error: unknown): string {
  return error instanceof Error ? (error.stack ?? error.message) : String(error);
}

/** A function error as the caller of a synchronous Invoke sees it: an Error of the function's errorType. */
function resultOf(name: string, outcome: InvocationOutcome): unknown {
  if (outcome.ok) return outcome.payload;
  const error = new Error(outcome.error.errorMessage);
  error.name = outcome.error.errorType;
  error.stack = [
    `${outcome.error.errorType}: ${outcome.error.errorMessage} (in ${name})`,
    ...(outcome.error.trace ?? []).slice(1),
  ].join('\n');
  throw error;
}

/** The gateway's routes, from the template's routes, integrations and stage throttles. */
function gatewayRoutes(api: TemplateHttpApi, hosts: ReadonlyMap<string, FunctionHost>): GatewayRoute[] {
  return api.routes.map((route) => {
    const integration = api.integrations.get(route.integrationLogicalId ?? '');
    const host = hosts.get(integration?.functionLogicalId ?? '');
    if (integration?.payloadFormatVersion !== '2.0' || host === undefined)
      throw new LocalStackConfigError(
        `${route.routeKey}: only Lambda proxy integrations (payload 2.0) are served locally`,
      );
    const auth = route.authorizationType === 'CUSTOM';
    const throttle = api.routeThrottles.get(route.routeKey) ?? api.defaultThrottle;
    if (!auth && route.authorizationType !== 'NONE')
      throw new LocalStackConfigError(
        `${route.routeKey}: authorization ${route.authorizationType} is not served locally`,
      );
    const definition: RouteDefinition = {
      name: host.spec.name,
      method: route.method as HttpMethod,
      path: route.path,
      auth,
      database: host.spec.env.DB_HOST !== undefined,
      summary: route.routeKey,
      // The stage's route settings, else its default route settings: each route has its own bucket either way.
      ...(throttle === undefined ? {} : { throttle }),
    };
    return {
      definition,
      handler: async (event) =>
        resultOf(
          host.spec.name,
          await host.invoke(event, { throttle: true, traceHeader: event.headers['x-amzn-trace-id'] }),
        ) as never,
    };
  });
}

/** The HTTP API's one authorizer: a Lambda REQUEST authorizer with simple responses on the Authorization header. */
function gatewayAuthorizer(
  api: TemplateHttpApi,
  hosts: ReadonlyMap<string, FunctionHost>,
): { handler: AuthorizerHandler; ttlSeconds: number } {
  const used = new Set(api.routes.map((route) => route.authorizerLogicalId).filter((id) => id !== undefined));
  if (used.size !== 1) throw new LocalStackConfigError('The local gateway serves exactly one authorizer');
  const authorizer = api.authorizers.get([...used][0] ?? '');
  const host = hosts.get(authorizer?.functionLogicalId ?? '');
  if (
    authorizer === undefined ||
    host === undefined ||
    authorizer.type !== 'REQUEST' ||
    !authorizer.simpleResponses ||
    authorizer.identitySource.join(',') !== '$request.header.Authorization'
  )
    throw new LocalStackConfigError(
      'The local gateway serves a Lambda REQUEST authorizer with simple responses on $request.header.Authorization',
    );
  return {
    handler: async (event) =>
      resultOf(
        host.spec.name,
        await host.invoke(event, { throttle: true, traceHeader: event.headers?.['x-amzn-trace-id'] }),
      ) as never,
    ttlSeconds: authorizer.resultTtlSeconds,
  };
}

async function deriveTemplate(
  options: LocalStackOptions,
): Promise<{ assembly: CloudAssembly; template: LocalTemplate }> {
  const assembly = await cachedSynth({ context: options.context, log: options.log });
  return { assembly, template: readTemplate(assembly) };
}

export async function startLocalStack(options: LocalStackOptions): Promise<LocalStack> {
  const consoleOrigin = `http://localhost:${options.ports.gateway}`;
  const extraOrigins = options.corsOrigins ?? [];
  await ensureStateDir(options.stateDir);
  // Checked first so a taken console port fails before anything starts.
  await assertPortFree(options.ports.gateway, 'the console and API', 'Set PORT to another port.');
  const { assembly, template } = await deriveTemplate(options);
  const sources = eventSourceQueues(template);
  // pg-boss queues in PostgreSQL, named locally (kept across restarts).
  const queueNames = localQueueNames(template, sources);
  const source = sources.find(({ queue }) => queueNames.get(queue.logicalId) === UPLOAD_QUEUE_NAME);
  const [api] = template.httpApis;
  if (source === undefined || api === undefined || template.httpApis.length > 1)
    throw new LocalStackConfigError(
      'The local stack serves one HTTP API and SQS event sources, one of them the queue the bucket notifies',
    );

  const queueReady = deferred<SqsQueue>();
  // Keeps an early rejection from being reported as unhandled before anyone awaits it.
  queueReady.promise.catch(() => undefined);
  const enqueue = async (notification: S3Event): Promise<void> => {
    await (await queueReady.promise).send(JSON.stringify(notification));
  };

  const stops: (() => Promise<void>)[] = [];
  let stopped: Promise<void> | undefined;
  // In reverse order of start (gateway, queue, the functions, services); a second call waits for the first.
  let stopping = false;
  const stopAll = (): Promise<void> =>
    (stopped ??= (async () => {
      stopping = true;
      for (const stop of [...stops].reverse()) {
        await stop().catch((error: unknown) => {
          options.log(`stop: ${String(error)}`);
        });
      }
    })());
  try {
    const services: BackingServices = await startBackingServices({
      ports: options.ports,
      stateDir: options.stateDir,
      database: 'idrl',
      externalDatabaseUrl: options.externalDatabaseUrl,
      corsOrigins: [consoleOrigin, `http://127.0.0.1:${options.ports.gateway}`, ...extraOrigins],
      onObjectCreated: enqueue,
    });
    stops.push(() => services.stop());
    const databaseUrl = new URL(services.postgres.url);
    const world: LocalWorld = {
      region: LOCAL_REGION,
      stackName: DEFAULT_STACK_NAME,
      bucket: { name: services.s3.bucket, endpoint: services.s3.endpoint },
      userPool: {
        id: services.cognito.userPoolId,
        clientId: services.cognito.clientId,
        endpoint: services.cognito.endpoint,
        issuer: services.cognito.issuer,
        jwksUri: services.cognito.jwksUri,
      },
      database: {
        host: databaseUrl.hostname,
        port: Number(databaseUrl.port || 5432),
        name: databaseUrl.pathname.slice(1),
        url: services.postgres.url,
      },
      gateway: consoleOrigin,
      queueNames,
    };
    const resources = localResources(template, world);
    const queueArns = [source.queue, source.deadLetter].map(
      (queue) => resources.get(queue.logicalId)?.attributes?.Arn ?? '',
    );
    const userPoolArn = resources.get(template.resourcesByType.get('AWS::Cognito::UserPool')?.[0] ?? '')
      ?.attributes?.Arn;
    if (userPoolArn === undefined) throw new LocalStackConfigError('The template has no user pool');
    const operator = operatorPrincipal(LOCAL_ACCOUNT, { queueArns, userPoolArn });
    // Without IAM every function signs with s3rver's key id (s3rver checks the key id only) and a secret of this
    // start, and reaches s3rver directly; the gateway still verifies the signatures made with that secret.
    const unrestricted = unrestrictedPrincipal(LOCAL_ACCOUNT, {
      accessKeyId: S3RVER_CREDENTIALS.accessKeyId,
      secretAccessKey: randomBytes(30).toString('base64'),
    });
    let credentialsFor: CredentialsFor = () => unrestricted;
    let gatewayIam: IamEnforcer = createIamEnforcer({
      location: { region: LOCAL_REGION, accountId: LOCAL_ACCOUNT },
      principals: [unrestricted, operator],
      log: options.log,
    });
    if (options.iam !== false) {
      const setup = localIamSetup({
        template,
        functions: [...runningFunctions(template)].flatMap((id) => template.functions.get(id) ?? []),
        resources,
        region: LOCAL_REGION,
        accountId: LOCAL_ACCOUNT,
        stackName: DEFAULT_STACK_NAME,
      });
      const iam = createIamEnforcer({
        location: { region: LOCAL_REGION, accountId: LOCAL_ACCOUNT },
        principals: [...setup.principals, operator],
        resourcePolicies: setup.resourcePolicies,
        vpcEndpointPolicies: setup.vpcEndpointPolicies,
        log: options.log,
      });
      const proxy = await startS3Proxy({
        iam,
        upstream: { endpoint: services.s3.endpoint, credentials: S3RVER_CREDENTIALS, region: LOCAL_REGION },
        port: options.ports.s3Iam,
        secureTransport: true,
      });
      stops.push(() => proxy.stop());
      world.bucket.endpoint = proxy.url;
      // The admin calls of signup and account deletion; sign-in and the JWKS are not IAM-authorized on AWS either.
      const cognitoProxy = await startJsonServiceProxy({
        iam,
        upstream: services.cognito.endpoint,
        port: 0,
        secureTransport: true,
      });
      stops.push(() => cognitoProxy.stop());
      world.userPool.endpoint = cognitoProxy.url;
      // RDS IAM authentication in front of the embedded server (an external one may ask for SCRAM, which the
      // gate does not speak: it keeps the URL). The token signs the gate's host and port, the functions' DB_HOST/DB_PORT.
      if (options.externalDatabaseUrl === undefined) {
        const gatePort = await freePort();
        const certificate = await ensureGateCertificate(join(options.stateDir, 'pg-gate'));
        const gate = await startPgGate(
          {
            iam,
            certificate,
            database: { hostname: LOOPBACK_IP, port: gatePort, resourceId: LOCAL_DATABASE_RESOURCE_ID },
            upstream: {
              host: databaseUrl.hostname,
              port: Number(databaseUrl.port || 5432),
              user: decodeURIComponent(databaseUrl.username),
              password: decodeURIComponent(databaseUrl.password),
            },
          },
          gatePort,
        );
        stops.push(() => gate.stop());
        world.database.host = LOOPBACK_IP;
        world.database.port = gate.port;
        world.database.caCertificate = certificate.certPath;
      }
      credentialsFor = (fn) => {
        const principal = setup.byFunction.get(fn.logicalId);
        if (principal === undefined)
          throw new LocalStackConfigError(`${fn.logicalId} has no local principal`);
        return principal;
      };
      gatewayIam = iam;
    }
    const derived = deriveFunctions(template, world, credentialsFor);
    const hosts = new Map(
      [...derived.specs].map(([name, spec]) => [
        name,
        new FunctionHost(spec, {
          log: (line) => {
            console.error(line);
          },
        }),
      ]),
    );
    stops.push(() => {
      for (const host of hosts.values()) host.stop();
      return Promise.resolve();
    });
    for (const skipped of derived.skipped)
      options.log(`not run locally: ${skipped.path ?? skipped.logicalId}: ${skipped.reason}`);

    const logError = (error: unknown): void => {
      // pg-boss's pool resolves its end() before its sockets close, so the server stopping next may
      // still tell an idle one it is going away (SQLSTATE 57P01): expected while stopping, not an error.
      if (stopping && (error as { code?: unknown }).code === ADMIN_SHUTDOWN) return;
      options.log(`error: ${describeError(error)}`);
    };
    const boss = await startBoss(services.postgres.url, logError);
    const retryDelaySeconds = options.retryDelaySeconds ?? 10;
    // On stop, running invocations get up to their consumer's timeout to finish; then they are failed (delivered
    // again later, like an SQS message whose consumer vanished).
    const longestConsumer = Math.max(
      ...sources.map(({ mapping }) => hosts.get(mapping.functionLogicalId)?.spec.timeoutSeconds ?? 0),
    );
    stops.push(() => boss.stop({ graceful: true, timeout: longestConsumer * 1000 }));
    const repositoryPool = new pg.Pool({ connectionString: services.postgres.url, max: 1 });
    stops.push(() => repositoryPool.end());
    const localQueues = new Map<string, SqsQueue>();
    for (const { mapping, queue: templateQueue } of sources) {
      const consumer = hosts.get(mapping.functionLogicalId);
      if (consumer === undefined)
        throw new LocalStackConfigError(`${mapping.functionLogicalId} does not run locally`);
      const name = queueNames.get(templateQueue.logicalId) ?? '';
      const queue = await createSqsQueue(boss, {
        name,
        deadLetterName: `${name}-dlq`,
        region: LOCAL_REGION,
        visibilityTimeoutSeconds: templateQueue.visibilityTimeoutSeconds,
        maxReceiveCount: templateQueue.redrive?.maxReceiveCount ?? 1,
        retryDelaySeconds,
        batchSize: mapping.batchSize,
        // A batching window gathers messages for that long; polling that often gathers them alike.
        pollingIntervalSeconds: Math.max(1, mapping.maximumBatchingWindowSeconds),
      });
      localQueues.set(name, queue);
      if (name === UPLOAD_QUEUE_NAME) {
        queueReady.resolve(queue);
        const reconciled = await reconcileUploads({
          s3: new S3Client({
            region: LOCAL_REGION,
            endpoint: services.s3.endpoint,
            forcePathStyle: true,
            credentials: S3RVER_CREDENTIALS,
          }),
          bucket: LOCAL_BUCKET,
          repository: new PgTaskRepository(repositoryPool),
          queue,
        });
        if (reconciled > 0)
          options.log(`Queued ${reconciled} stored upload(s) that had not reached the queue.`);
      }
      // Lambda's SQS poller runs up to MaximumConcurrency batches at once (5 without one, its starting point).
      const pollers = Math.min(
        mapping.maximumConcurrency ?? 5,
        consumer.spec.reservedConcurrency ?? Number.POSITIVE_INFINITY,
      );
      for (let poller = 0; poller < pollers; poller += 1) {
        await queue.consume(
          // The host enforces the function's own timeout; this bound only guards a host that never answers.
          {
            name: consumer.spec.name,
            region: LOCAL_REGION,
            timeoutSeconds: consumer.spec.timeoutSeconds + 5,
            memoryMb: consumer.spec.memoryMb,
          },
          // An event source mapping retries a throttled batch: it waits for an environment instead.
          async (event) =>
            resultOf(consumer.spec.name, await consumer.invoke(event, { throttle: false })) as
              SQSBatchResponse | undefined,
        );
      }
    }
    const uploads = localQueues.get(UPLOAD_QUEUE_NAME);
    const worker = hosts.get(source.mapping.functionLogicalId);
    if (uploads === undefined || worker === undefined)
      throw new LocalStackConfigError('The upload queue has no local consumer');

    for (const schedule of template.schedules.filter((candidate) => candidate.enabled)) {
      const name = `${SCHEDULE_QUEUE_PREFIX}${schedule.logicalId}`;
      const cron = options.scheduleCronOverride ?? scheduleCron(schedule.expression);
      await boss.createQueue(name, { retryLimit: 0 });
      await boss.schedule(name, cron);
      await boss.work(name, async function runSchedule() {
        for (const target of schedule.targets) {
          const host = hosts.get(target.functionLogicalId);
          // EventBridge invokes asynchronously: a failed run is logged and the next tick runs again.
          await host
            ?.invoke(scheduledEvent(schedule.logicalId), { throttle: false })
            .then((outcome) => resultOf(host.spec.name, outcome))
            .catch(logError);
        }
      });
    }

    const invocable = new Map<string, InvocableHandler>(
      [...hosts].map(([name, host]) => [
        name,
        async (event: unknown) => resultOf(name, await host.invoke(event)),
      ]),
    );
    const authorizer = gatewayAuthorizer(api, hosts);
    const integrationTimeouts = [...api.integrations.values()].map(
      (integration) => integration.timeoutMillis / 1000,
    );
    const gateway: Gateway = await startGateway({
      port: options.ports.gateway,
      region: LOCAL_REGION,
      routes: gatewayRoutes(api, hosts),
      authorizer: authorizer.handler,
      functions: invocable,
      corsOrigins: extraOrigins,
      originHeaders: cdnOriginHeaders(template, world),
      // API Gateway's own wait for an integration; the functions' timeouts are enforced by their hosts.
      functionTimeoutSeconds: Math.max(...integrationTimeouts),
      // A synchronous Invoke waits as long as the function may run (Lambda's maximum, 900 s).
      invocationTimeoutSeconds: 900,
      authorizerCacheTtlSeconds: authorizer.ttlSeconds,
      perClientRules: options.perClientLimits === false ? [] : perClientRules,
      awsApi: sqsApi({
        queues: [...localQueues.values()],
        deadLetters: uploads.deadLetters,
        endpoint: () => consoleOrigin,
      }),
      iam: gatewayIam,
      localPages: (method, url) => mailboxAnswer(services.cognito.mailbox, method, url),
      onError: (error, routeKey) => {
        options.log(`${routeKey}: ${describeError(error)}`);
      },
    });
    stops.push(() => gateway.stop());

    return {
      urls: {
        console: `${gateway.url}/`,
        api: `${gateway.url}/api`,
        s3: services.s3.endpoint,
        cognito: services.cognito.endpoint,
        database: services.postgres.url,
      },
      deadLetterQueueArn: uploads.deadLetters.arn,
      names: {
        bucket: services.s3.bucket,
        userPoolId: services.cognito.userPoolId,
        clientId: services.cognito.clientId,
        ffmpeg: worker.spec.env.FFMPEG_PATH ?? 'ffmpeg',
      },
      s3Endpoint: world.bucket.endpoint,
      cognitoEndpoint: world.userPool.endpoint,
      operatorCredentials: { accessKeyId: operator.accessKeyId, secretAccessKey: operator.secretAccessKey },
      skipped: derived.skipped,
      assembly,
      stop: stopAll,
    };
  } catch (error) {
    queueReady.reject(error);
    await stopAll();
    throw error;
  }
}
