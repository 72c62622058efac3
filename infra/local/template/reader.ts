/**
 * Reads what the local stack needs from a synthesized template, values left raw (intrinsics unresolved;
 * see intrinsics.ts): the functions with the asset folder of their bundle, the event source mappings and
 * queues, the HTTP API (routes, integrations, authorizers, throttles, CORS), the schedules, and every
 * policy (roles' inline and managed, standalone IAM policies, the bucket's, the queues', the VPC
 * endpoints').
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';

export interface Template {
  Resources: Record<string, TemplateResource>;
  Conditions?: Record<string, unknown>;
  Parameters?: Record<string, { Default?: unknown }>;
}

export interface TemplateResource {
  Type: string;
  Properties?: Record<string, unknown>;
  Metadata?: Record<string, unknown>;
}

export interface TemplateFunction {
  logicalId: string;
  /** The folder holding the bundle Lambda gets (the cloud assembly's asset folder); undefined for inline code. */
  assetDir: string | undefined;
  /** `index.handler`: module `index`, export `handler`. */
  handler: string;
  runtime: string | undefined;
  /** Lambda's defaults when absent: 3 s, 128 MB. */
  timeoutSeconds: number;
  memoryMb: number;
  reservedConcurrency: number | undefined;
  /** Raw values (strings or intrinsics). */
  environment: Record<string, unknown>;
  roleLogicalId: string | undefined;
  vpc: boolean;
  /** The asset folders of its layers, in the template's order (later layers overwrite earlier ones in /opt). */
  layerDirs: string[];
  /** The construct path (`IdrlVideoPlatform/Api/Signup/Resource`), for messages. */
  path: string | undefined;
}

export interface TemplateEventSourceMapping {
  logicalId: string;
  functionLogicalId: string;
  /** The queue's logical id when the source is `Fn::GetAtt [queue, Arn]`. */
  queueLogicalId: string | undefined;
  /** Lambda's default for SQS: 10. */
  batchSize: number;
  maximumBatchingWindowSeconds: number;
  maximumConcurrency: number | undefined;
  reportBatchItemFailures: boolean;
  enabled: boolean;
}

export interface TemplateQueue {
  logicalId: string;
  /** SQS's default: 30 s. */
  visibilityTimeoutSeconds: number;
  /** SQS's default: 4 days. */
  messageRetentionSeconds: number;
  redrive: { maxReceiveCount: number; deadLetterQueueLogicalId: string | undefined } | undefined;
}

export interface TemplateRoute {
  logicalId: string;
  routeKey: string;
  method: string;
  path: string;
  integrationLogicalId: string | undefined;
  authorizationType: string;
  authorizerLogicalId: string | undefined;
}

export interface TemplateIntegration {
  logicalId: string;
  functionLogicalId: string | undefined;
  payloadFormatVersion: string | undefined;
  /** API Gateway's default and maximum for HTTP APIs: 30 000 ms. */
  timeoutMillis: number;
}

export interface TemplateAuthorizer {
  logicalId: string;
  functionLogicalId: string | undefined;
  type: string;
  resultTtlSeconds: number;
  identitySource: string[];
  simpleResponses: boolean;
  payloadFormatVersion: string | undefined;
}

export interface RouteThrottleSettings {
  rateLimit: number;
  burstLimit: number;
}

export interface TemplateHttpApi {
  logicalId: string;
  cors: { allowOrigins: unknown; allowMethods: unknown; allowHeaders: unknown; maxAge: unknown } | undefined;
  routes: TemplateRoute[];
  integrations: Map<string, TemplateIntegration>;
  authorizers: Map<string, TemplateAuthorizer>;
  defaultThrottle: RouteThrottleSettings | undefined;
  /** By route key. */
  routeThrottles: Map<string, RouteThrottleSettings>;
}

export interface TemplateSchedule {
  logicalId: string;
  /** `rate(1 hour)` or `cron(0 3 * * ? *)`, as written. */
  expression: string;
  enabled: boolean;
  targets: { functionLogicalId: string; input: unknown }[];
}

export interface TemplatePolicy {
  /** The resource the document belongs to (a role, an IAM policy, a bucket or queue policy, an endpoint). */
  logicalId: string;
  /** The policy's name (for messages): the inline policy's name, or the logical id. */
  name: string;
  document: unknown;
}

export interface TemplateRole {
  logicalId: string;
  assumeRolePolicy: unknown;
  /** Raw ARNs (usually `Fn::Join` with the partition). */
  managedPolicyArns: unknown[];
  /** Inline policies of the role itself and every AWS::IAM::Policy attached to it. */
  policies: TemplatePolicy[];
}

export interface LocalTemplate {
  template: Template;
  functions: Map<string, TemplateFunction>;
  eventSourceMappings: TemplateEventSourceMapping[];
  queues: Map<string, TemplateQueue>;
  httpApis: TemplateHttpApi[];
  schedules: TemplateSchedule[];
  roles: Map<string, TemplateRole>;
  /** By the bucket's logical id. */
  bucketPolicies: Map<string, TemplatePolicy>;
  /** By each queue's logical id (a queue policy may name several queues). */
  queuePolicies: Map<string, TemplatePolicy>;
  /** VPC endpoints with a policy: service name raw. */
  vpcEndpoints: { logicalId: string; serviceName: unknown; policy: TemplatePolicy | undefined }[];
  /** Logical ids of every resource, by type (for the list of what has no local twin). */
  resourcesByType: Map<string, string[]>;
  /**
   * The headers the CDN adds to every request it sends to its origins (CloudFront's `OriginCustomHeaders`),
   * values raw: the local gateway, the one front of the local stack, adds them as CloudFront does.
   */
  cdnOriginHeaders: { name: string; value: unknown }[];
}

interface AssetsFile {
  files: Record<string, { source: { path: string }; destinations: Record<string, { objectKey: string }> }>;
}

/** `{ Ref: id }` → id. */
export function refTarget(value: unknown): string | undefined {
  const ref = (value as { Ref?: unknown } | null)?.Ref;
  return typeof ref === 'string' ? ref : undefined;
}

/** `{ 'Fn::GetAtt': [id, attribute] }` → id (optionally only for this attribute). */
export function getAttTarget(value: unknown, attribute?: string): string | undefined {
  const getAtt = (value as { 'Fn::GetAtt'?: unknown } | null)?.['Fn::GetAtt'];
  if (!Array.isArray(getAtt) || typeof getAtt[0] !== 'string') return undefined;
  if (attribute !== undefined && getAtt[1] !== attribute) return undefined;
  return getAtt[0];
}

/** The logical ids a value references anywhere inside (Ref and Fn::GetAtt). */
export function referencedIds(value: unknown): string[] {
  const found: string[] = [];
  const walk = (node: unknown): void => {
    if (Array.isArray(node)) node.forEach(walk);
    else if (node !== null && typeof node === 'object') {
      const ref = refTarget(node) ?? getAttTarget(node);
      if (ref !== undefined) found.push(ref);
      else Object.values(node).forEach(walk);
    }
  };
  walk(value);
  return found;
}

function numberOr(value: unknown, fallback: number): number {
  return typeof value === 'number'
    ? value
    : typeof value === 'string' && value !== ''
      ? Number(value)
      : fallback;
}

function optionalNumber(value: unknown): number | undefined {
  return value === undefined ? undefined : numberOr(value, Number.NaN);
}

function props(resource: TemplateResource): Record<string, unknown> {
  return resource.Properties ?? {};
}

function record(value: unknown): Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : {};
}

function list(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}

/** The function a Lambda ARN or name value points at (GetAtt Arn, Ref, or inside an Fn::Join). */
function functionTarget(value: unknown, functions: ReadonlyMap<string, unknown>): string | undefined {
  return referencedIds(value).find((id) => functions.has(id));
}

function throttleOf(settings: unknown): RouteThrottleSettings | undefined {
  const { ThrottlingRateLimit: rate, ThrottlingBurstLimit: burst } = record(settings);
  if (rate === undefined && burst === undefined) return undefined;
  return {
    rateLimit: numberOr(rate, Number.POSITIVE_INFINITY),
    burstLimit: numberOr(burst, Number.POSITIVE_INFINITY),
  };
}

export function readTemplate(input: { templatePath: string; assetsPath: string }): LocalTemplate {
  const template = JSON.parse(readFileSync(input.templatePath, 'utf8')) as Template;
  const assets = JSON.parse(readFileSync(input.assetsPath, 'utf8')) as AssetsFile;
  const assemblyDir = path.dirname(input.templatePath);
  const assetDirByKey = new Map<string, string>();
  for (const file of Object.values(assets.files)) {
    for (const destination of Object.values(file.destinations))
      assetDirByKey.set(destination.objectKey, path.join(assemblyDir, file.source.path));
  }
  const assetDir = (code: unknown): string | undefined => {
    const key = record(code).S3Key;
    return typeof key === 'string' ? assetDirByKey.get(key) : undefined;
  };

  const entries = Object.entries(template.Resources);
  const ofType = (type: string): [string, TemplateResource][] =>
    entries.filter(([, resource]) => resource.Type === type);
  const resourcesByType = new Map<string, string[]>();
  for (const [id, resource] of entries)
    resourcesByType.set(resource.Type, [...(resourcesByType.get(resource.Type) ?? []), id]);

  const functions = new Map<string, TemplateFunction>();
  for (const [logicalId, resource] of ofType('AWS::Lambda::Function')) {
    const p = props(resource);
    functions.set(logicalId, {
      logicalId,
      assetDir: assetDir(p.Code),
      handler: typeof p.Handler === 'string' ? p.Handler : 'index.handler',
      runtime: typeof p.Runtime === 'string' ? p.Runtime : undefined,
      timeoutSeconds: numberOr(p.Timeout, 3),
      memoryMb: numberOr(p.MemorySize, 128),
      reservedConcurrency: optionalNumber(p.ReservedConcurrentExecutions),
      environment: record(record(p.Environment).Variables),
      roleLogicalId: getAttTarget(p.Role, 'Arn') ?? refTarget(p.Role),
      vpc: p.VpcConfig !== undefined,
      layerDirs: list(p.Layers).flatMap((layer) => {
        const layerId = refTarget(layer);
        const layerResource = layerId === undefined ? undefined : template.Resources[layerId];
        const dir = layerResource === undefined ? undefined : assetDir(props(layerResource).Content);
        return dir === undefined ? [] : [dir];
      }),
      path:
        typeof resource.Metadata?.['aws:cdk:path'] === 'string'
          ? resource.Metadata['aws:cdk:path']
          : undefined,
    });
  }

  const eventSourceMappings: TemplateEventSourceMapping[] = ofType('AWS::Lambda::EventSourceMapping').flatMap(
    ([logicalId, resource]) => {
      const p = props(resource);
      const functionLogicalId = functionTarget(p.FunctionName, functions);
      if (functionLogicalId === undefined) return [];
      return [
        {
          logicalId,
          functionLogicalId,
          queueLogicalId: getAttTarget(p.EventSourceArn, 'Arn'),
          batchSize: numberOr(p.BatchSize, 10),
          maximumBatchingWindowSeconds: numberOr(p.MaximumBatchingWindowInSeconds, 0),
          maximumConcurrency: optionalNumber(record(p.ScalingConfig).MaximumConcurrency),
          reportBatchItemFailures: list(p.FunctionResponseTypes).includes('ReportBatchItemFailures'),
          enabled: p.Enabled !== false,
        },
      ];
    },
  );

  const queues = new Map<string, TemplateQueue>();
  for (const [logicalId, resource] of ofType('AWS::SQS::Queue')) {
    const p = props(resource);
    const redrive = record(p.RedrivePolicy);
    queues.set(logicalId, {
      logicalId,
      visibilityTimeoutSeconds: numberOr(p.VisibilityTimeout, 30),
      messageRetentionSeconds: numberOr(p.MessageRetentionPeriod, 4 * 24 * 3600),
      redrive:
        p.RedrivePolicy === undefined
          ? undefined
          : {
              maxReceiveCount: numberOr(redrive.maxReceiveCount, Number.NaN),
              deadLetterQueueLogicalId: getAttTarget(redrive.deadLetterTargetArn, 'Arn'),
            },
    });
  }

  const httpApis: TemplateHttpApi[] = ofType('AWS::ApiGatewayV2::Api').map(([apiId, api]) => {
    const belongs = ([, resource]: [string, TemplateResource]): boolean =>
      refTarget(props(resource).ApiId) === apiId;
    /** The API's resources of one type, by logical id, each read from its properties. */
    const byLogicalId = <T>(type: string, read: (logicalId: string, p: Record<string, unknown>) => T) =>
      new Map(
        ofType(type)
          .filter(belongs)
          .map(([logicalId, resource]) => [logicalId, read(logicalId, props(resource))] as const),
      );
    const integrations = byLogicalId('AWS::ApiGatewayV2::Integration', (logicalId, p) => ({
      logicalId,
      functionLogicalId: functionTarget(p.IntegrationUri, functions),
      payloadFormatVersion: typeof p.PayloadFormatVersion === 'string' ? p.PayloadFormatVersion : undefined,
      timeoutMillis: numberOr(p.TimeoutInMillis, 30_000),
    }));
    const authorizers = byLogicalId('AWS::ApiGatewayV2::Authorizer', (logicalId, p) => ({
      logicalId,
      functionLogicalId: functionTarget(p.AuthorizerUri, functions),
      type: String(p.AuthorizerType),
      resultTtlSeconds: numberOr(p.AuthorizerResultTtlInSeconds, 0),
      identitySource: list(p.IdentitySource).map(String),
      simpleResponses: p.EnableSimpleResponses === true,
      payloadFormatVersion:
        typeof p.AuthorizerPayloadFormatVersion === 'string' ? p.AuthorizerPayloadFormatVersion : undefined,
    }));
    const routes = ofType('AWS::ApiGatewayV2::Route')
      .filter(belongs)
      .map(([logicalId, resource]): TemplateRoute => {
        const p = props(resource);
        const routeKey = String(p.RouteKey);
        const [method = '', routePath = ''] = routeKey.split(' ');
        return {
          logicalId,
          routeKey,
          method,
          path: routePath,
          integrationLogicalId: referencedIds(p.Target).find((id) => integrations.has(id)),
          authorizationType: typeof p.AuthorizationType === 'string' ? p.AuthorizationType : 'NONE',
          authorizerLogicalId: refTarget(p.AuthorizerId),
        };
      });
    const stage = ofType('AWS::ApiGatewayV2::Stage').find(belongs);
    const stageProps = stage === undefined ? {} : props(stage[1]);
    const cors = props(api).CorsConfiguration;
    const corsRecord = record(cors);
    return {
      logicalId: apiId,
      cors:
        cors === undefined
          ? undefined
          : {
              allowOrigins: corsRecord.AllowOrigins,
              allowMethods: corsRecord.AllowMethods,
              allowHeaders: corsRecord.AllowHeaders,
              maxAge: corsRecord.MaxAge,
            },
      routes,
      integrations,
      authorizers,
      defaultThrottle: throttleOf(stageProps.DefaultRouteSettings),
      routeThrottles: new Map(
        Object.entries(record(stageProps.RouteSettings)).flatMap(([key, settings]) => {
          const throttle = throttleOf(settings);
          return throttle === undefined ? [] : [[key, throttle] as const];
        }),
      ),
    };
  });

  const schedules: TemplateSchedule[] = [
    ...ofType('AWS::Events::Rule')
      .filter(([, resource]) => typeof props(resource).ScheduleExpression === 'string')
      .map(([logicalId, resource]) => {
        const p = props(resource);
        return {
          logicalId,
          expression: String(p.ScheduleExpression),
          enabled: p.State === undefined || p.State === 'ENABLED',
          targets: list(p.Targets).flatMap((target) => {
            const functionLogicalId = functionTarget(record(target).Arn, functions);
            return functionLogicalId === undefined
              ? []
              : [{ functionLogicalId, input: record(target).Input }];
          }),
        };
      }),
    ...ofType('AWS::Scheduler::Schedule').map(([logicalId, resource]) => {
      const p = props(resource);
      const target = record(p.Target);
      const functionLogicalId = functionTarget(target.Arn, functions);
      return {
        logicalId,
        expression: String(p.ScheduleExpression),
        enabled: p.State === undefined || p.State === 'ENABLED',
        targets: functionLogicalId === undefined ? [] : [{ functionLogicalId, input: target.Input }],
      };
    }),
  ];

  const roles = new Map<string, TemplateRole>();
  for (const [logicalId, resource] of ofType('AWS::IAM::Role')) {
    const p = props(resource);
    roles.set(logicalId, {
      logicalId,
      assumeRolePolicy: p.AssumeRolePolicyDocument,
      managedPolicyArns: list(p.ManagedPolicyArns),
      policies: list(p.Policies).map((policy) => ({
        logicalId,
        name: String(record(policy).PolicyName),
        document: record(policy).PolicyDocument,
      })),
    });
  }
  for (const [logicalId, resource] of ofType('AWS::IAM::Policy')) {
    const p = props(resource);
    for (const role of list(p.Roles)) {
      const roleId = refTarget(role);
      const target = roleId === undefined ? undefined : roles.get(roleId);
      target?.policies.push({
        logicalId,
        name: typeof p.PolicyName === 'string' ? p.PolicyName : logicalId,
        document: p.PolicyDocument,
      });
    }
  }

  const bucketPolicies = new Map<string, TemplatePolicy>();
  for (const [logicalId, resource] of ofType('AWS::S3::BucketPolicy')) {
    const p = props(resource);
    const bucket = refTarget(p.Bucket);
    if (bucket !== undefined)
      bucketPolicies.set(bucket, { logicalId, name: logicalId, document: p.PolicyDocument });
  }
  const queuePolicies = new Map<string, TemplatePolicy>();
  for (const [logicalId, resource] of ofType('AWS::SQS::QueuePolicy')) {
    const p = props(resource);
    for (const queue of list(p.Queues)) {
      const queueId = refTarget(queue);
      if (queueId !== undefined)
        queuePolicies.set(queueId, { logicalId, name: logicalId, document: p.PolicyDocument });
    }
  }
  const vpcEndpoints = ofType('AWS::EC2::VPCEndpoint').map(([logicalId, resource]) => {
    const p = props(resource);
    return {
      logicalId,
      serviceName: p.ServiceName,
      policy:
        p.PolicyDocument === undefined
          ? undefined
          : { logicalId, name: logicalId, document: p.PolicyDocument },
    };
  });

  const cdnOriginHeaders = ofType('AWS::CloudFront::Distribution').flatMap(([, resource]) => {
    const origins = record(props(resource).DistributionConfig).Origins;
    return (Array.isArray(origins) ? origins : []).flatMap((origin) => {
      const headers = record(origin).OriginCustomHeaders;
      return (Array.isArray(headers) ? headers : []).map((header) => ({
        name: String(record(header).HeaderName).toLowerCase(),
        value: record(header).HeaderValue,
      }));
    });
  });

  return {
    template,
    functions,
    eventSourceMappings,
    queues,
    httpApis,
    schedules,
    roles,
    bucketPolicies,
    queuePolicies,
    vpcEndpoints,
    resourcesByType,
    cdnOriginHeaders,
  };
}

/** The extensions Lambda's Node.js runtime tries for a handler's module, in its order. */
const HANDLER_EXTENSIONS = ['.js', '.mjs', '.cjs'];

/** The file and export a function's `Handler` names inside its bundle (`index.handler` → index.mjs, handler). */
export function handlerEntry(fn: TemplateFunction): { file: string; exportName: string } | undefined {
  if (fn.assetDir === undefined) return undefined;
  const dot = fn.handler.lastIndexOf('.');
  const base = path.join(fn.assetDir, fn.handler.slice(0, dot));
  const file = HANDLER_EXTENSIONS.map((extension) => base + extension).find((candidate) =>
    existsSync(candidate),
  );
  return file === undefined ? undefined : { file, exportName: fn.handler.slice(dot + 1) };
}
