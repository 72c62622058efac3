/**
 * Each Lambda bundle as CDK builds it (the same esbuild options), its minified size, and its cold
 * init: a fresh Node 24 process that imports the bundle and runs a first invocation, timed inside the
 * process (Lambda's INIT + first INVOKE, without the runtime's own bootstrap).
 */
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdir, stat, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { routes } from '#functions/routes';
import { consoleBundle } from '#web/console-bundle.generated';
import { apiEvent } from '#test/helpers/api-gateway';
import { bundleLikeCdk } from '#test/helpers/lambda-bundle';
import { sqsEvent } from '#test/helpers/sqs';
import { round, summarize } from './stats';

const run = promisify(execFile);

export interface FunctionBenchRow {
  name: string;
  entry: string;
  bundleKiB: number;
  /** Median of the fresh-process samples, ms. */
  importMs: number;
  firstInvokeMs: number;
  coldInitMs: number;
  /** What the first invocation answered (HTTP status, or 'ok'). */
  outcome: string;
}

const COLD_SAMPLES = 3;

/** Runs inside the fresh process: import, one invocation, timings on stdout. */
const COLD_RUNNER = `
const started = performance.now();
const { handler } = await import(process.argv[2]);
const imported = performance.now();
const deadline = Date.now() + 30000;
const context = {
  functionName: 'bench', functionVersion: '$LATEST', invokedFunctionArn: 'arn:aws:lambda:us-east-1:000000000000:function:bench',
  memoryLimitInMB: '512', awsRequestId: crypto.randomUUID(), logGroupName: '/aws/lambda/bench', logStreamName: 'bench',
  callbackWaitsForEmptyEventLoop: false, getRemainingTimeInMillis: () => deadline - Date.now(),
};
const result = await handler(JSON.parse(process.env.BENCH_EVENT), context);
const invoked = performance.now();
process.stdout.write(JSON.stringify({ importMs: imported - started, invokeMs: invoked - imported, result }));
process.exit(0);
`;

/** A queue URL on a port nothing listens on. */
const UNUSED_QUEUE_URL = 'http://127.0.0.1:9/000000000000/idrl-uploads';

export interface BenchFunction {
  name: string;
  entry: string;
  /** The first invocation's event; may depend on earlier functions' results (tokens). */
  event: (previous: Map<string, unknown>) => unknown;
}

async function bundle(fn: BenchFunction, outDir: string): Promise<{ file: string; bytes: number }> {
  const file = join(outDir, fn.name, 'index.mjs');
  await bundleLikeCdk(fn.entry, file);
  return { file, bytes: (await stat(file)).size };
}

async function coldInit(
  bundleFile: string,
  runner: string,
  event: unknown,
  env: Record<string, string>,
): Promise<{ importMs: number; invokeMs: number; result: unknown }> {
  const { stdout } = await run(process.execPath, [runner, bundleFile], {
    // The bundle has no source tree beside it: the worker is pointed at the logo as the stack does.
    env: {
      ...process.env,
      ...env,
      // retry-task's configuration; its first event is unauthenticated (401), so nothing is sent there.
      UPLOAD_QUEUE_URL: UNUSED_QUEUE_URL,
      LOGO_PATH: resolve('assets/logo/idrl-logo.png'),
      BENCH_EVENT: JSON.stringify(event),
      LOG_LEVEL: 'ERROR',
      POWERTOOLS_METRICS_DISABLED: 'true',
    },
    maxBuffer: 16 * 1024 * 1024,
  }).catch((error: unknown) => {
    // Node prints the failing minified line in full; the end of stderr holds the error itself.
    const stderr =
      typeof error === 'object' && error !== null && 'stderr' in error ? String(error.stderr) : String(error);
    throw new Error(`cold init of ${bundleFile} failed: ${stderr.slice(-1500)}`);
  });
  return JSON.parse(stdout.slice(stdout.lastIndexOf('{"importMs"'))) as {
    importMs: number;
    invokeMs: number;
    result: unknown;
  };
}

function outcome(result: unknown): string {
  if (typeof result === 'object' && result !== null && 'statusCode' in result)
    return String(result.statusCode);
  if (typeof result === 'object' && result !== null && 'isAuthorized' in result)
    return result.isAuthorized === true ? 'authorized' : 'denied';
  return 'ok';
}

function body(result: unknown): Record<string, unknown> {
  if (typeof result === 'object' && result !== null && 'body' in result && typeof result.body === 'string')
    return JSON.parse(result.body) as Record<string, unknown>;
  return {};
}

/** Every function the stack deploys, each with a first event that does real work. */
export function benchFunctions(): BenchFunction[] {
  const username = `bench${randomUUID().slice(0, 8)}`;
  const password = 'Bench-Pass-1';
  const caller = { sub: randomUUID(), username };
  const token = (previous: Map<string, unknown>): string => String(body(previous.get('login')).access_token);
  const events: Record<string, BenchFunction['event']> = {
    signup: () =>
      apiEvent({
        method: 'POST',
        route: '/api/auth/signup',
        body: { username, email: `${username}@example.com`, password1: password, password2: password },
      }),
    login: () => apiEvent({ method: 'POST', route: '/api/auth/login', body: { username, password } }),
    refresh: (previous) =>
      apiEvent({
        method: 'POST',
        route: '/api/auth/refresh',
        body: { refresh_token: body(previous.get('login')).refresh_token },
      }),
    'create-task': () =>
      apiEvent({
        method: 'POST',
        route: '/api/tasks',
        caller,
        body: { fileName: 'race.mp4', contentType: 'video/mp4', size: 10_000_000 },
      }),
    'list-tasks': () =>
      apiEvent({ method: 'GET', route: '/api/tasks', caller, query: { max: '50', order: '1' } }),
    'get-task': (previous) =>
      apiEvent({
        method: 'GET',
        route: '/api/tasks/{id}',
        caller,
        pathParameters: { id: String(body(previous.get('create-task')).id) },
      }),
    'delete-task': (previous) =>
      apiEvent({
        method: 'DELETE',
        route: '/api/tasks/{id}',
        caller,
        pathParameters: { id: String(body(previous.get('create-task')).id) },
      }),
    console: () => apiEvent({ method: 'GET', route: '/', headers: { 'accept-encoding': 'gzip' } }),
    'console-asset': () =>
      apiEvent({
        method: 'GET',
        route: '/assets/{file}',
        pathParameters: { file: Object.keys(consoleBundle.assets)[0] ?? '' },
        headers: { 'accept-encoding': 'gzip' },
      }),
  };
  const fromRoutes: BenchFunction[] = routes.map((route) => ({
    name: route.name,
    entry: `functions/api/${route.name}.ts`,
    event: events[route.name] ?? (() => apiEvent({ method: route.method, route: route.path })),
  }));
  return [
    ...fromRoutes,
    {
      name: 'authorizer',
      entry: 'functions/api/authorizer.ts',
      event: (previous) => ({
        version: '2.0',
        type: 'REQUEST',
        routeArn: 'arn:aws:execute-api:us-east-1:000000000000:bench/$default/GET/api/tasks',
        identitySource: [`Bearer ${token(previous)}`],
        routeKey: 'GET /api/tasks',
        rawPath: '/api/tasks',
        rawQueryString: '',
        headers: { authorization: `Bearer ${token(previous)}` },
        requestContext: { http: { method: 'GET', path: '/api/tasks' } },
      }),
    },
    {
      name: 'process-upload',
      entry: 'functions/worker/process-upload.ts',
      // S3's test event: the worker acknowledges and ignores it (init cost without an edit).
      event: () =>
        sqsEvent(
          JSON.stringify({
            Service: 'Amazon S3',
            Event: 's3:TestEvent',
            Time: new Date().toISOString(),
            Bucket: 'idrl-videos',
          }),
        ),
    },
    {
      // The retry route's half in the VPC, as it is invoked; the task was deleted by now, so this is the
      // refusal path (404 as a value) after a real lookup.
      name: 'retry-transition',
      entry: 'functions/ops/retry-transition.ts',
      event: (previous) => ({ action: 'begin', caller, id: Number(body(previous.get('create-task')).id) }),
    },
    {
      // The in-VPC sweep, as functions/ops/run-sweep.ts invokes it (run-sweep itself needs a Lambda endpoint
      // to invoke: its cold init is the SDK clients', measured with the other functions outside the VPC).
      name: 'sweep-tasks',
      entry: 'functions/ops/sweep-tasks.ts',
      event: () => ({}),
    },
  ];
}

/**
 * The order matters: signup before login, login before refresh and the authorizer (they use its
 * tokens), create-task before get/delete. Each function's cold init is sampled in fresh processes;
 * only the first sample's result feeds later events, so later samples repeat the same request.
 */
export async function benchFunctionsColdInit(
  env: Record<string, string>,
  log: (line: string) => void,
): Promise<FunctionBenchRow[]> {
  const outDir = resolve('.local/bench/bundles');
  await mkdir(outDir, { recursive: true });
  const runner = join(outDir, 'cold-runner.mjs');
  await writeFile(runner, COLD_RUNNER);
  const previous = new Map<string, unknown>();
  const rows: FunctionBenchRow[] = [];
  for (const fn of benchFunctions()) {
    const { file, bytes } = await bundle(fn, outDir);
    const samples: { importMs: number; invokeMs: number }[] = [];
    let first: unknown;
    for (let sample = 0; sample < COLD_SAMPLES; sample += 1) {
      // Signup must create a new user each time; other events are safe to repeat.
      const event = fn.event(previous);
      const measured = await coldInit(file, runner, event, env);
      samples.push(measured);
      if (sample === 0) first = measured.result;
      if (fn.name === 'signup') break;
    }
    previous.set(fn.name, first);
    const importMs = summarize(samples.map((s) => s.importMs)).median;
    const firstInvokeMs = summarize(samples.map((s) => s.invokeMs)).median;
    const row = {
      name: fn.name,
      entry: fn.entry,
      bundleKiB: round(bytes / 1024, 1),
      importMs: round(importMs, 1),
      firstInvokeMs: round(firstInvokeMs, 1),
      coldInitMs: round(importMs + firstInvokeMs, 1),
      outcome: outcome(first),
    };
    rows.push(row);
    log(`  ${row.name}: ${row.bundleKiB} KiB, cold init ${row.coldInitMs} ms (${row.outcome})`);
  }
  return rows;
}
