import { existsSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { AUTHORIZER_CACHE_TTL_SECONDS, routes } from '#functions/routes';
import { MAX_RECEIVE_COUNT } from '#core/delivery';
import { DEFAULT_MAX_CONCURRENT_EDITS_PER_PILOT } from '#core/fair-share';
import { createResolver, resolveStrings } from '#infra/local/template/intrinsics';
import {
  type LocalTemplate,
  type TemplateFunction,
  handlerEntry,
  readTemplate,
} from '#infra/local/template/reader';
import { cachedSynth } from '#infra/local/template/synth';
import {
  LOCAL_ACCOUNT,
  type LocalWorld,
  cdnOriginHeaders,
  eventSourceQueues,
  localQueueNames,
  localResources,
  runningFunctions,
} from '#infra/local/derive';
import { ORIGIN_VERIFY_HEADER, ORIGIN_VERIFY_VARIABLE } from '#core/edge-origin';
import { createIamEnforcer } from '#infra/local/iam/enforcer';
import { localIamSetup } from '#infra/local/principals';

let local: LocalTemplate;

// The real `cdk synth` with bundling, from the cache the local stack and the e2e runs share.
beforeAll(async () => {
  local = readTemplate(await cachedSynth());
}, 900_000);

function byPath(construct: string): TemplateFunction {
  const found = [...local.functions.values()].find(
    (fn) => fn.path === `IdrlVideoPlatform/${construct}/Resource`,
  );
  if (!found) throw new Error(`No function at ${construct}`);
  return found;
}

describe('the template reader on the synthesized stack', () => {
  it('finds the bundle Lambda gets for every function with packaged code', () => {
    const packaged = [...local.functions.values()].filter((fn) => fn.assetDir !== undefined);
    expect(packaged.length).toBeGreaterThanOrEqual(30);
    expect(packaged.filter((fn) => handlerEntry(fn) === undefined).map((fn) => fn.logicalId)).toEqual([]);
  });

  it("reads the worker's configuration, its layer and its queue's redrive", () => {
    const worker = byPath('Worker/ProcessUpload');
    expect(worker).toMatchObject({
      handler: 'index.handler',
      timeoutSeconds: 180,
      memoryMb: 3008,
      vpc: true,
    });
    expect(existsSync(path.join(worker.layerDirs[0] ?? '', 'bin/ffmpeg'))).toBe(true);
    const [mapping] = local.eventSourceMappings;
    expect(mapping).toMatchObject({
      functionLogicalId: worker.logicalId,
      batchSize: 1,
      maximumConcurrency: 5,
      reportBatchItemFailures: true,
    });
    const queue = local.queues.get(mapping?.queueLogicalId ?? '');
    expect(queue?.visibilityTimeoutSeconds).toBe(6 * 180);
    expect(queue?.redrive?.maxReceiveCount).toBe(MAX_RECEIVE_COUNT);
    expect(local.queues.has(queue?.redrive?.deadLetterQueueLogicalId ?? '')).toBe(true);
  });

  it('reads every route of the route table with its function, authorizer and throttle', () => {
    const [api] = local.httpApis;
    if (!api) throw new Error('No HTTP API');
    const read = api.routes.map((route) => {
      const integration = api.integrations.get(route.integrationLogicalId ?? '');
      return {
        routeKey: route.routeKey,
        auth: route.authorizationType === 'CUSTOM' && api.authorizers.has(route.authorizerLogicalId ?? ''),
        throttle: api.routeThrottles.get(route.routeKey),
        hasFunction: local.functions.has(integration?.functionLogicalId ?? ''),
      };
    });
    expect(read.sort((a, b) => a.routeKey.localeCompare(b.routeKey))).toEqual(
      routes
        .map((route) => ({
          routeKey: `${route.method} ${route.path}`,
          auth: route.auth,
          throttle: 'throttle' in route ? route.throttle : undefined,
          hasFunction: true,
        }))
        .sort((a, b) => a.routeKey.localeCompare(b.routeKey)),
    );
    const [authorizer] = api.authorizers.values();
    expect(authorizer).toMatchObject({
      resultTtlSeconds: AUTHORIZER_CACHE_TTL_SECONDS,
      identitySource: ['$request.header.Authorization'],
      simpleResponses: true,
      functionLogicalId: byPath('Api/Authorizer').logicalId,
    });
    expect(api.defaultThrottle).toEqual({ rateLimit: 50, burstLimit: 100 });
  });

  it("reads the sweeper's schedule and the policies of roles, bucket, queues and the S3 endpoint", () => {
    const runner = byPath('Sweeper/RunSweep');
    expect(
      local.schedules.map((schedule) => schedule.targets.map((target) => target.functionLogicalId)),
    ).toEqual([[runner.logicalId]]);
    const workerRole = local.roles.get(byPath('Worker/ProcessUpload').roleLogicalId ?? '');
    expect(JSON.stringify(workerRole?.policies.map((policy) => policy.document))).toContain('s3:GetObject');
    expect(workerRole?.managedPolicyArns.length).toBeGreaterThan(0);
    expect(local.bucketPolicies.size).toBe(1);
    // The upload queue and the views queue, each with its DLQ: every one TLS-only.
    expect(local.queuePolicies.size).toBe(4);
    expect(local.vpcEndpoints.filter((endpoint) => endpoint.policy !== undefined)).toHaveLength(1);
  });

  it("resolves a function's environment against the local world's names, and names what it lacks", () => {
    const worker = byPath('Worker/ProcessUpload');
    const bucketId = local.resourcesByType.get('AWS::S3::Bucket')?.[0] ?? '';
    const databaseId = local.resourcesByType.get('AWS::RDS::DBInstance')?.[0] ?? '';
    const resolve = createResolver({
      resources: new Map([
        [bucketId, { ref: 'idrl-videos' }],
        [databaseId, { ref: 'db', attributes: { 'Endpoint.Address': '127.0.0.1', 'Endpoint.Port': '5433' } }],
      ]),
      pseudo: { region: 'us-east-1', accountId: '000000000000', stackName: 'IdrlVideoPlatform' },
    });
    expect(resolveStrings(resolve, worker.environment)).toMatchObject({
      BUCKET_NAME: 'idrl-videos',
      DB_HOST: '127.0.0.1',
      DB_PORT: '5433',
      DB_IAM_AUTH: 'true',
      MAX_RECEIVE_COUNT: String(MAX_RECEIVE_COUNT),
      // The per-pilot cap reaches the local worker from the template: the same rule locally and on AWS.
      MAX_CONCURRENT_EDITS_PER_PILOT: String(DEFAULT_MAX_CONCURRENT_EDITS_PER_PILOT),
    });
    const authorizer = byPath('Api/Authorizer');
    expect(() => resolveStrings(resolve, authorizer.environment)).toThrow(/Ref Identity\w+: no local value/);
  });
});

describe('the local principals built from the template', () => {
  const world: LocalWorld = {
    region: 'us-east-1',
    stackName: 'IdrlVideoPlatform',
    bucket: { name: 'idrl-videos', endpoint: 'http://127.0.0.1:4569' },
    userPool: {
      id: 'local_pool',
      clientId: 'client',
      endpoint: 'http://localhost:9229',
      issuer: 'http://localhost:9229/local_pool',
      jwksUri: 'http://localhost:9229/local_pool/.well-known/jwks.json',
    },
    database: { host: '127.0.0.1', port: 5433, name: 'idrl', url: 'postgres://x@127.0.0.1:5433/idrl' },
    gateway: 'http://localhost:3000',
    queueNames: new Map(),
  };

  function authorize(construct: string, action: string, resource: string): string {
    const named: LocalWorld = { ...world, queueNames: localQueueNames(local, eventSourceQueues(local)) };
    const setup = localIamSetup({
      template: local,
      functions: [...runningFunctions(local)].flatMap((id) => local.functions.get(id) ?? []),
      resources: localResources(local, named),
      region: world.region,
      accountId: LOCAL_ACCOUNT,
      stackName: world.stackName,
    });
    const iam = createIamEnforcer({
      location: { region: world.region, accountId: LOCAL_ACCOUNT },
      principals: setup.principals,
      resourcePolicies: setup.resourcePolicies,
      vpcEndpointPolicies: setup.vpcEndpointPolicies,
      log: () => undefined,
    });
    const principal = setup.byFunction.get(byPath(construct).logicalId);
    if (!principal) throw new Error(`No principal for ${construct}`);
    const decision = iam.authorize(
      principal,
      { operation: action, requests: [{ action, resource, context: {} }] },
      { secure: true },
    );
    return decision.allowed ? 'allowed' : 'denied';
  }

  it("resolve the CDN's origin secret to one value for the gateway's header and the route functions, as on AWS", () => {
    // Act
    const headers = cdnOriginHeaders(local, world);
    const resolve = createResolver({
      resources: localResources(local, world),
      pseudo: { region: 'us-east-1', accountId: LOCAL_ACCOUNT, stackName: 'IdrlVideoPlatform' },
    });
    const health = byPath('Api/Health');

    // Assess
    expect(Object.keys(headers)).toEqual([ORIGIN_VERIFY_HEADER]);
    expect(resolve(health.environment[ORIGIN_VERIFY_VARIABLE])).toBe(headers[ORIGIN_VERIFY_HEADER]);
  });
  it("gives each running function its role's permissions on the local resources, and no other", () => {
    expect(
      authorize('Worker/ProcessUpload', 's3:GetObject', 'arn:aws:s3:::idrl-videos/uploads/1/a.mp4'),
    ).toBe('allowed');
    expect(authorize('Api/Rankings', 's3:GetObject', 'arn:aws:s3:::idrl-videos/uploads/1/a.mp4')).toBe(
      'denied',
    );
    expect(
      authorize('Api/RetryTask', 'sqs:SendMessage', `arn:aws:sqs:us-east-1:${LOCAL_ACCOUNT}:idrl-uploads`),
    ).toBe('allowed');
    // A reported play goes to the views queue, and only there.
    const views = `arn:aws:sqs:us-east-1:${LOCAL_ACCOUNT}:idrl-views-queue`;
    expect(authorize('Api/RecordView', 'sqs:SendMessage', views)).toBe('allowed');
    expect(
      authorize('Api/RecordView', 'sqs:SendMessage', `arn:aws:sqs:us-east-1:${LOCAL_ACCOUNT}:idrl-uploads`),
    ).toBe('denied');
    expect(authorize('Api/RetryTask', 'sqs:SendMessage', views)).toBe('denied');
    expect(
      authorize(
        'Api/DeleteAccount',
        'lambda:InvokeFunction',
        `arn:aws:lambda:us-east-1:${LOCAL_ACCOUNT}:function:${byPath('AccountPurge/Function').logicalId}`,
      ),
    ).toBe('allowed');
    expect(
      authorize(
        'Api/DeleteAccount',
        'lambda:InvokeFunction',
        `arn:aws:lambda:us-east-1:${LOCAL_ACCOUNT}:function:${byPath('Sweeper/Sweep/Function').logicalId}`,
      ),
    ).toBe('denied');
  });
});
