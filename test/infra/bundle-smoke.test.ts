import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { type ResolvedResource, createResolver, resolveStrings } from '#infra/local/template/intrinsics';
import {
  type LocalTemplate,
  type TemplateFunction,
  handlerEntry,
  readTemplate,
} from '#infra/local/template/reader';
import { cachedSynth } from '#infra/local/template/synth';

/**
 * The smoke test of every bundle (issue 21): each of the project's functions, in each configuration, bundled by the
 * real `cdk synth`, is loaded in a fresh `node` process whose environment is exactly its template's (intrinsics
 * resolved to placeholders) plus what Lambda's runtime adds, and invoked once with an event that reaches its code.
 * An unreachable dependency is expected (the placeholders point nowhere); an INIT failure, or a ConfigurationError
 * ("Environment variable X is required") at INIT or during the invocation, fails the test.
 */

const CONFIGURATIONS: Readonly<Record<string, Readonly<Record<string, string>>>> = {
  default: {},
  'database=serverless': { database: 'serverless' },
  'processor=mediaconvert': { processor: 'mediaconvert' },
};

const REGION = 'us-east-1';
const ACCOUNT = '123456789012';
const RUNNER = path.join(import.meta.dirname, 'fixtures', 'invoke-once.js');
/** Past this an invocation is stopped: it was waiting on a dependency, which is allowed. */
const INVOCATION_LIMIT_MS = 12_000;
const PARALLEL_INVOCATIONS = 6;
/**
 * What a ConfigurationError says, in a function's output (its logs, an INIT error, a thrown error): the bundles are
 * minified, so the messages of functions/commons/config.ts and the worker's, not the class name, are what survives.
 */
const CONFIGURATION_FAILURE =
  /ConfigurationError|Environment variable \w+ (is required|must be)|Set DATABASE_URL, or|The logo image .* does not exist/;

/** A plausible local value for every resource: ARNs, queue URLs, hosts and ports where the code parses them. */
function placeholders(local: LocalTemplate): Map<string, ResolvedResource> {
  return new Map(
    Object.entries(local.template.Resources).map(([id, { Type }]) => {
      const service = Type.split('::')[1]?.toLowerCase() ?? 'unknown';
      const queueUrl = `https://sqs.${REGION}.amazonaws.com/${ACCOUNT}/${id}`;
      const ref = Type === 'AWS::SQS::Queue' ? queueUrl : id.toLowerCase();
      const known: Record<string, string> = {
        Arn:
          Type === 'AWS::S3::Bucket'
            ? `arn:aws:s3:::${ref}`
            : `arn:aws:${service}:${REGION}:${ACCOUNT}:${id}`,
        QueueUrl: queueUrl,
        QueueName: id,
        'Endpoint.Address': `${id.toLowerCase()}.placeholder.invalid`,
        'Endpoint.Port': '5432',
        ApiEndpoint: `https://${id.toLowerCase()}.placeholder.invalid`,
        DomainName: `${id.toLowerCase()}.placeholder.invalid`,
      };
      const attributes = new Proxy(known, {
        get: (target, name: string) => target[name] ?? `${id}-${name}`,
      });
      return [id, { ref, attributes }];
    }),
  );
}

/**
 * Lambda mounts a function's layers at /opt; here they stay in their asset folders, so a path into /opt is the one
 * value rewritten, to the last layer holding that file (later layers overwrite earlier ones), as the local stack does.
 */
function layerPath(value: string, layerDirs: readonly string[]): string {
  if (!value.startsWith('/opt/')) return value;
  const relative = value.slice('/opt/'.length);
  const found = [...layerDirs].reverse().find((dir) => existsSync(path.join(dir, relative)));
  return found === undefined ? value : path.join(found, relative);
}

/** The function's own variables, resolved, with its layers where Lambda would mount them. */
function functionEnvironment(
  fn: TemplateFunction,
  resolve: (value: unknown) => unknown,
): Record<string, string> {
  return Object.fromEntries(
    Object.entries(resolveStrings(resolve, fn.environment)).map(([name, value]) => [
      name,
      layerPath(value, fn.layerDirs),
    ]),
  );
}

/** What Lambda's runtime adds to every function's own variables (reserved environment variables). */
function runtimeEnvironment(fn: TemplateFunction): Record<string, string> {
  return {
    PATH: ['/usr/local/bin', '/usr/bin', '/bin', ...fn.layerDirs.map((dir) => path.join(dir, 'bin'))].join(
      ':',
    ),
    AWS_REGION: REGION,
    AWS_DEFAULT_REGION: REGION,
    AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs22.x',
    AWS_LAMBDA_FUNCTION_NAME: fn.logicalId,
    AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(fn.memoryMb),
    AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
    AWS_LAMBDA_LOG_GROUP_NAME: `/aws/lambda/${fn.logicalId}`,
    AWS_LAMBDA_LOG_STREAM_NAME: 'smoke',
    AWS_ACCESS_KEY_ID: 'ASIASMOKETESTPLACEHOLDER',
    AWS_SECRET_ACCESS_KEY: 'smoke-test-placeholder-secret',
    AWS_SESSION_TOKEN: 'smoke-test-placeholder-token',
    LAMBDA_TASK_ROOT: fn.assetDir ?? '',
    TZ: ':UTC',
  };
}

const CALLER = { sub: '11111111-2222-4333-8444-555555555555', username: 'smoke_pilot' };

/** Valid request bodies, so that each route gets past its input validation into its own code. */
const ROUTE_BODIES: Readonly<Record<string, unknown>> = {
  'POST /api/auth/signup': {
    username: 'smoke_pilot',
    email: 'smoke@example.com',
    password1: 'Sm0kePassword',
    password2: 'Sm0kePassword',
  },
  'POST /api/auth/login': { username: 'smoke_pilot', password: 'Sm0kePassword' },
  'POST /api/auth/refresh': { refresh_token: 'placeholder' },
  'DELETE /api/auth/me': { password: 'Sm0kePassword' },
  'POST /api/tasks': { fileName: 'lap.mp4', contentType: 'video/mp4', size: 1_000_000 },
  'PATCH /api/tasks/{id}': { public: false },
  'POST /api/tasks/{id}/multipart/{uploadId}/parts': { partNumbers: [1] },
};

function apiEvent(routeKey: string, authorized: boolean): unknown {
  const [method = 'GET', route = '/'] = routeKey.split(' ');
  const pathParameters = Object.fromEntries(
    [...route.matchAll(/\{(\w+)\}/g)].map(([, name = '']) => [name, name === 'file' ? 'app.js' : '1']),
  );
  const rawPath = route.replace(/\{(\w+)\}/g, (_match, name: string) => pathParameters[name] ?? '');
  const body = ROUTE_BODIES[routeKey];
  return {
    version: '2.0',
    routeKey,
    rawPath,
    rawQueryString: '',
    headers: { 'content-type': 'application/json', authorization: 'Bearer placeholder' },
    pathParameters: Object.keys(pathParameters).length > 0 ? pathParameters : undefined,
    body: body === undefined ? undefined : JSON.stringify(body),
    isBase64Encoded: false,
    requestContext: {
      accountId: ACCOUNT,
      apiId: 'smoke',
      domainName: 'smoke.placeholder.invalid',
      http: { method, path: rawPath, protocol: 'HTTP/1.1', sourceIp: '192.0.2.1', userAgent: 'smoke' },
      requestId: 'smoke',
      routeKey,
      stage: '$default',
      time: new Date().toISOString(),
      timeEpoch: Date.now(),
      ...(authorized ? { authorizer: { lambda: CALLER } } : {}),
    },
  };
}

function s3Event(key: string): unknown {
  return {
    Records: [
      {
        eventSource: 'aws:s3',
        eventName: 'ObjectCreated:CompleteMultipartUpload',
        awsRegion: REGION,
        s3: { bucket: { name: 'bucket' }, object: { key, size: 1_000_000, eTag: '"etag"' } },
      },
    ],
  };
}

/** The event each function gets on AWS: from the API, the queue, a schedule, Cognito, or its invoking function. */
function eventFor(local: LocalTemplate, fn: TemplateFunction): unknown {
  const [api] = local.httpApis;
  const route = api?.routes.find(
    (candidate) =>
      api.integrations.get(candidate.integrationLogicalId ?? '')?.functionLogicalId === fn.logicalId,
  );
  if (route !== undefined) return apiEvent(route.routeKey, route.authorizerLogicalId !== undefined);
  if (
    [...(api?.authorizers.values() ?? [])].some((authorizer) => authorizer.functionLogicalId === fn.logicalId)
  )
    return {
      version: '2.0',
      type: 'REQUEST',
      routeArn: `arn:aws:execute-api:${REGION}:${ACCOUNT}:smoke/$default/GET/api/tasks`,
      identitySource: ['Bearer placeholder'],
      routeKey: 'GET /api/tasks',
      headers: { authorization: 'Bearer placeholder' },
      requestContext: { http: { method: 'GET', path: '/api/tasks' } },
    };
  if (local.eventSourceMappings.some((mapping) => mapping.functionLogicalId === fn.logicalId))
    return {
      Records: [
        {
          messageId: 'smoke',
          receiptHandle: 'smoke',
          body: JSON.stringify(s3Event('uploads/1/original')),
          attributes: { ApproximateReceiveCount: '1' },
          eventSource: 'aws:sqs',
          eventSourceARN: `arn:aws:sqs:${REGION}:${ACCOUNT}:uploads`,
          awsRegion: REGION,
        },
      ],
    };
  if (local.schedules.some((schedule) => schedule.targets.some((t) => t.functionLogicalId === fn.logicalId)))
    return { source: 'aws.events', 'detail-type': 'Scheduled Event', detail: {}, region: REGION };
  const construct = fn.path ?? '';
  const invoked = Object.entries(INVOKED_EVENTS).find(([fragment]) => construct.includes(fragment));
  if (invoked === undefined) throw new Error(`No smoke event for ${construct}: add one`);
  return invoked[1];
}

/** Functions invoked by another function, by Cognito, by S3 or by EventBridge, by their construct path. */
const INVOKED_EVENTS: Readonly<Record<string, unknown>> = {
  '/Sweeper/Sweep/': {},
  '/AccountPurge/': { sub: CALLER.sub },
  '/RetryTransition/': { action: 'begin', caller: CALLER, id: 1 },
  '/PilotStanding/': { sub: CALLER.sub, username: CALLER.username, admin: 'admin', suspension: null },
  '/EmailCodes/': { action: 'issue', caller: CALLER },
  '/Database/MigrateLauncher/': { RequestType: 'Create', ResourceProperties: {} },
  '/Database/Migrate/': { username: 'idrl_admin', password: 'placeholder' },
  '/Identity/PreTokenGeneration/': {
    version: '2',
    triggerSource: 'TokenGeneration_Authentication',
    region: REGION,
    userPoolId: `${REGION}_smoke`,
    userName: CALLER.username,
    request: { userAttributes: {}, scopes: ['aws.cognito.signin.user.admin'] },
    response: {},
  },
  '/Identity/CustomMessage/': {
    version: '1',
    triggerSource: 'CustomMessage_UpdateUserAttribute',
    region: REGION,
    userPoolId: `${REGION}_smoke`,
    userName: CALLER.username,
    callerContext: { awsSdkVersion: 'smoke', clientId: 'smoke' },
    request: {
      userAttributes: {},
      codeParameter: '{####}',
      linkParameter: null,
      usernameParameter: null,
      clientMetadata: {},
    },
    response: { smsMessage: null, emailMessage: null, emailSubject: null },
  },
  '/MediaConvert/SubmitJob/': s3Event('processed/1/job-request.json'),
  '/MediaConvert/CompleteJob/': {
    source: 'aws.mediaconvert',
    'detail-type': 'MediaConvert Job State Change',
    detail: { status: 'COMPLETE', jobId: 'smoke', queue: 'queue', userMetadata: { taskId: '1' } },
  },
};

interface Outcome {
  name: string;
  failure?: string;
}

/** One cold start and one invocation in a fresh process with exactly this environment. */
function smoke(fn: TemplateFunction, environment: Record<string, string>, event: unknown): Promise<Outcome> {
  const name = fn.path ?? fn.logicalId;
  const entry = handlerEntry(fn);
  if (entry === undefined) return Promise.resolve({ name, failure: 'no bundle' });
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [RUNNER, entry.file, entry.exportName, fn.logicalId], {
      env: environment,
      cwd: fn.assetDir,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), INVOCATION_LIMIT_MS);
    child.on('close', () => {
      clearTimeout(timer);
      const reports = [...output.matchAll(/^@@SMOKE (.*)$/gm)].map(
        ([, json = '{}']) => JSON.parse(json) as { phase: string; ok: boolean },
      );
      const init = reports.find((report) => report.phase === 'init');
      const configuration = CONFIGURATION_FAILURE.exec(output);
      resolve({
        name,
        failure:
          init === undefined
            ? `no INIT report: ${output.slice(0, 2000)}`
            : !init.ok
              ? `INIT failed: ${JSON.stringify(init)}`
              : configuration !== null
                ? `configuration missing: ${output.slice(Math.max(0, configuration.index - 300), configuration.index + 300)}`
                : undefined,
      });
    });
    child.stdin.end(JSON.stringify(event));
  });
}

async function inBatches<T, R>(
  items: readonly T[],
  size: number,
  work: (item: T) => Promise<R>,
): Promise<R[]> {
  const results: R[] = [];
  for (let start = 0; start < items.length; start += size)
    results.push(...(await Promise.all(items.slice(start, start + size).map(work))));
  return results;
}

describe.each(Object.entries(CONFIGURATIONS))('every bundle (%s)', (_name, context) => {
  it('loads with exactly its template environment and runs one invocation without a configuration error', async () => {
    // Prepare: the cloud assembly (cached by its inputs, shared with the local stack), one synth per configuration.
    const local = readTemplate(await cachedSynth({ context }));
    const resolve = createResolver({
      resources: placeholders(local),
      pseudo: { region: REGION, accountId: ACCOUNT, stackName: 'IdrlVideoPlatform' },
      conditions: local.template.Conditions,
    });
    // The project's functions (CDK's own providers are not ours to configure).
    const ours = [...local.functions.values()].filter((fn) => 'POWERTOOLS_SERVICE_NAME' in fn.environment);
    expect(ours.length).toBeGreaterThanOrEqual(30);

    // Act
    const outcomes = await inBatches(ours, PARALLEL_INVOCATIONS, (fn) =>
      smoke(fn, { ...functionEnvironment(fn, resolve), ...runtimeEnvironment(fn) }, eventFor(local, fn)),
    );

    // Assess
    expect(outcomes.filter((outcome) => outcome.failure !== undefined)).toEqual([]);
  }, 900_000);
});
