/**
 * The whole platform on one machine (docs/spec.md §8): PostgreSQL, s3rver and
 * cognito-local, the durable queue feeding the worker, the scheduled sweeper and the gateway in
 * front of the API functions and the console — the same handler modules that run on Lambda,
 * configured only through the environment.
 */
import { randomUUID } from 'node:crypto';
import { ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import type { Context, S3Event, ScheduledEvent } from 'aws-lambda';
import type { PgBoss } from 'pg-boss';
import type { TaskRepository } from '#core/ports';
import { UPLOADS_PREFIX } from '#core/object-keys';
import {
  DEFAULT_WORKER_TIMEOUT_SECONDS,
  MAX_RECEIVE_COUNT,
  stalledAfterSeconds,
  visibilityTimeoutSeconds,
} from '#core/delivery';
import { AUTHORIZER_CACHE_TTL_SECONDS, routes } from '#functions/routes';
import {
  type LambdaProxyHandler,
  type AuthorizerHandler,
  type Gateway,
  type GatewayRoute,
  startGateway,
} from './gateway';
import { LOCAL_ACCOUNT_ID, type LocalFunction, invoke } from './lambda-context';
import type { InvocableHandler } from './lambda-api';
import { type SqsBatchHandler, type SqsQueue, createSqsQueue, startBoss } from './queue';
import { sqsApi } from './sqs-endpoint';
import {
  type BackingServices,
  LOCAL_BUCKET,
  LOCAL_INVOKED_FUNCTIONS,
  LOCAL_REGION,
  startBackingServices,
} from './services/backing';
import { LocalStackConfigError } from './errors';
import { assertPortFree, ensureStateDir } from './services/preflight';
import { storedObjectNotification } from './services/s3';

export interface LocalStackPorts {
  gateway: number;
  postgres: number;
  s3: number;
  cognito: number;
}

export interface LocalStackOptions {
  stateDir: string;
  ports: LocalStackPorts;
  /** Use this PostgreSQL server (DATABASE_URL) instead of the embedded one. */
  externalDatabaseUrl?: string;
  /** The worker function's timeout; the visibility timeout is six times it, as on AWS. @default DEFAULT_WORKER_TIMEOUT_SECONDS (180) */
  workerTimeoutSeconds?: number;
  /** Delay before a failed message is delivered again. @default 10 */
  retryDelaySeconds?: number;
  /** Receives before dead-lettering; the worker gets it as MAX_RECEIVE_COUNT. @default MAX_RECEIVE_COUNT of #core/delivery */
  maxReceiveCount?: number;
  /** Sweeper schedule (cron, minute resolution). @default every 5 minutes */
  sweepCron?: string;
  /** Origins besides the console's own allowed by the gateway's and the bucket's CORS. @default [] */
  corsOrigins?: string[];
  log: (message: string) => void;
}

export interface LocalStack {
  urls: { console: string; api: string; s3: string; cognito: string; database: string };
  /** The upload queue's DLQ, for `npm run redrive` (DLQ_ARN, with AWS_ENDPOINT_URL_SQS at the gateway). */
  deadLetterQueueArn: string;
  env: Record<string, string>;
  stop(): Promise<void>;
}

const QUEUE_NAME = 'idrl-uploads';
const SWEEPER_QUEUE = 'idrl-expire-uploads';
const API_TIMEOUT_SECONDS = 29;

async function loadHandler<T>(specifier: string): Promise<T> {
  const module = (await import(specifier)) as { handler?: unknown };
  if (typeof module.handler !== 'function')
    throw new LocalStackConfigError(`${specifier} does not export a handler function`);
  return module.handler as T;
}

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
      const notification = storedObjectNotification({
        bucket: deps.bucket,
        key: object.Key,
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

function scheduledEvent(cronRule: string): ScheduledEvent {
  return {
    version: '0',
    id: randomUUID(),
    'detail-type': 'Scheduled Event',
    source: 'aws.events',
    account: LOCAL_ACCOUNT_ID,
    time: new Date().toISOString(),
    region: LOCAL_REGION,
    resources: [`arn:aws:events:${LOCAL_REGION}:${LOCAL_ACCOUNT_ID}:rule/${cronRule}`],
    detail: {},
  };
}

async function scheduleSweeper(boss: PgBoss, cron: string, onError: (error: unknown) => void): Promise<void> {
  // The schedule's target, which invokes the sweep (functions/ops/sweep-tasks.ts) through the gateway, as on AWS.
  const sweeper =
    await loadHandler<(event: ScheduledEvent, context: Context) => Promise<unknown>>(
      '#functions/ops/run-sweep',
    );
  const fn: LocalFunction = {
    name: 'run-sweep',
    region: LOCAL_REGION,
    timeoutSeconds: 60,
    memoryMb: 256,
  };
  await boss.createQueue(SWEEPER_QUEUE, { retryLimit: 0 });
  await boss.schedule(SWEEPER_QUEUE, cron);
  await boss.work(SWEEPER_QUEUE, async function sweep() {
    // A failed sweep is logged and simply runs again at the next tick, like a scheduled Lambda.
    await invoke(fn, (context) => sweeper(scheduledEvent(SWEEPER_QUEUE), context)).catch(onError);
  });
}

/** PostgreSQL's admin_shutdown: the server is stopping and ends the session. */
const ADMIN_SHUTDOWN = '57P01';

function describeError(error: unknown): string {
  return error instanceof Error ? (error.stack ?? error.message) : String(error);
}

/** The in-VPC functions of AWS that other functions invoke, by name (LOCAL_INVOKED_FUNCTIONS). */
async function loadInvokedFunctions(): Promise<Map<string, InvocableHandler>> {
  return new Map(
    await Promise.all(
      Object.values(LOCAL_INVOKED_FUNCTIONS).map(
        async (name) => [name, await loadHandler<InvocableHandler>(`#functions/ops/${name}`)] as const,
      ),
    ),
  );
}

async function loadGatewayRoutes(): Promise<GatewayRoute[]> {
  return Promise.all(
    routes.map(async (definition) => ({
      definition,
      handler: await loadHandler<LambdaProxyHandler>(`#functions/api/${definition.name}`),
    })),
  );
}

export async function startLocalStack(options: LocalStackOptions): Promise<LocalStack> {
  const workerTimeoutSeconds = options.workerTimeoutSeconds ?? DEFAULT_WORKER_TIMEOUT_SECONDS;
  const consoleOrigin = `http://localhost:${options.ports.gateway}`;
  const extraOrigins = options.corsOrigins ?? [];
  await ensureStateDir(options.stateDir);
  // Checked first so a taken console port fails before anything starts.
  await assertPortFree(options.ports.gateway, 'the console and API', 'Set PORT to another port.');

  const queueReady = deferred<SqsQueue>();
  // Keeps an early rejection from being reported as unhandled before anyone awaits it.
  queueReady.promise.catch(() => undefined);
  const enqueue = async (notification: S3Event): Promise<void> => {
    await (await queueReady.promise).send(JSON.stringify(notification));
  };

  const stops: (() => Promise<void>)[] = [];
  let stopped: Promise<void> | undefined;
  // In reverse order of start (gateway, queue, the functions' pool, services); a second call waits for the first.
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
    // The handlers read their configuration from the environment at import, as on Lambda. One
    // process hosts every function, so they share one service name (set per function on AWS).
    process.env.POWERTOOLS_SERVICE_NAME ??= 'idrl-local';
    process.env.POWERTOOLS_METRICS_NAMESPACE ??= 'IDRL';
    Object.assign(process.env, services.env);
    // Functions outside the VPC on AWS invoke the in-VPC ones through the Lambda API and queue uploads with
    // SQS SendMessage: here the gateway answers both.
    process.env.LAMBDA_ENDPOINT = `http://127.0.0.1:${options.ports.gateway}`;
    process.env.AWS_ENDPOINT_URL_SQS = consoleOrigin;
    process.env.UPLOAD_QUEUE_URL = `${consoleOrigin}/${LOCAL_ACCOUNT_ID}/${QUEUE_NAME}`;
    const maxReceiveCount = options.maxReceiveCount ?? MAX_RECEIVE_COUNT;
    const retryDelaySeconds = options.retryDelaySeconds ?? 10;
    const queueVisibilitySeconds = visibilityTimeoutSeconds(workerTimeoutSeconds);
    // The worker reads its retry budget from the environment, as on AWS: the same number the queue uses.
    process.env.MAX_RECEIVE_COUNT = String(maxReceiveCount);
    // Locally a failed message comes back after the retry delay instead of the visibility timeout: the
    // longer of the two is the furthest apart two receives can be.
    process.env.STALLED_TASK_SECONDS = String(
      stalledAfterSeconds({
        redeliverySeconds: Math.max(queueVisibilitySeconds, retryDelaySeconds),
        maxReceiveCount,
      }),
    );
    const clients = await import('#commons/clients');
    // The functions' shared pool is closed before PostgreSQL stops, so it does not log the disconnects.
    stops.push(() => clients.databasePool().end());

    const logError = (error: unknown): void => {
      // pg-boss's pool resolves its end() before its sockets close, so the server stopping next may
      // still tell an idle one it is going away (SQLSTATE 57P01): expected while stopping, not an error.
      if (stopping && (error as { code?: unknown }).code === ADMIN_SHUTDOWN) return;
      options.log(`error: ${describeError(error)}`);
    };
    const boss = await startBoss(services.postgres.url, logError);
    // On stop, running invocations get up to the worker timeout to finish; then they are failed
    // (delivered again later, like an SQS message whose consumer vanished).
    stops.push(() => boss.stop({ graceful: true, timeout: workerTimeoutSeconds * 1000 }));
    const queue = await createSqsQueue(boss, {
      name: QUEUE_NAME,
      deadLetterName: `${QUEUE_NAME}-dlq`,
      region: LOCAL_REGION,
      visibilityTimeoutSeconds: queueVisibilitySeconds,
      maxReceiveCount,
      retryDelaySeconds,
      batchSize: 1,
      pollingIntervalSeconds: 1,
    });
    queueReady.resolve(queue);

    const [worker, authorizer, invokedFunctions, gatewayRoutes, servicesModule] = await Promise.all([
      loadHandler<SqsBatchHandler>('#functions/worker/process-upload'),
      loadHandler<AuthorizerHandler>('#functions/api/authorizer'),
      loadInvokedFunctions(),
      loadGatewayRoutes(),
      import('#commons/composition-root'),
    ]);
    const reconciled = await reconcileUploads({
      s3: clients.s3Client(),
      bucket: LOCAL_BUCKET,
      repository: servicesModule.getTaskRepository(),
      queue,
    });
    if (reconciled > 0) options.log(`Queued ${reconciled} stored upload(s) that had not reached the queue.`);
    await queue.consume(
      { name: 'process-upload', region: LOCAL_REGION, timeoutSeconds: workerTimeoutSeconds, memoryMb: 2048 },
      worker,
    );
    await scheduleSweeper(boss, options.sweepCron ?? '*/5 * * * *', logError);

    const gateway: Gateway = await startGateway({
      port: options.ports.gateway,
      region: LOCAL_REGION,
      routes: gatewayRoutes,
      authorizer,
      functions: invokedFunctions,
      corsOrigins: extraOrigins,
      functionTimeoutSeconds: API_TIMEOUT_SECONDS,
      authorizerCacheTtlSeconds: AUTHORIZER_CACHE_TTL_SECONDS,
      awsApi: sqsApi({ uploads: queue, deadLetters: queue.deadLetters, endpoint: () => consoleOrigin }),
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
      deadLetterQueueArn: queue.deadLetters.arn,
      env: services.env,
      stop: stopAll,
    };
  } catch (error) {
    queueReady.reject(error);
    await stopAll();
    throw error;
  }
}
