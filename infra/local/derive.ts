/**
 * The local world derived from the synthesized template (docs/local-stack.md, "Derived from the
 * template"): which functions run and with what configuration, how each template resource is named
 * locally (what `Ref` and `Fn::GetAtt` resolve to), and what has no local twin. The only differences
 * from AWS are the names, the endpoint variables added here, and the credentials.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { LocalStackConfigError } from './errors';
import {
  type ResolvedResource,
  UnresolvableError,
  createResolver,
  resolveStrings,
} from './template/intrinsics';
import {
  type LocalTemplate,
  type TemplateFunction,
  type TemplateQueue,
  handlerEntry,
  referencedIds,
} from './template/reader';
import type { FunctionSpec } from './runtime/function-host';

export const LOCAL_ACCOUNT = '000000000000';
/** The local database's resource id in rds-db:connect ARNs. */
export const LOCAL_DATABASE_RESOURCE_ID = 'db-LOCAL';

/** Where the local services answer, and the names they use. */
export interface LocalWorld {
  region: string;
  stackName: string;
  bucket: { name: string; endpoint: string };
  userPool: { id: string; clientId: string; endpoint: string; issuer: string; jwksUri: string };
  /**
   * Where functions reach PostgreSQL: with `caCertificate`, the IAM gate (host and port of RDS's endpoint,
   * TLS trusted through NODE_EXTRA_CA_CERTS, tokens checked for rds-db:connect); without, `url` (a known gap).
   */
  database: { host: string; port: number; name: string; url: string; caCertificate?: string };
  /** The gateway: Lambda's Invoke API and SQS's JSON API for the functions. */
  gateway: string;
  /** Local queue names by the template's queue logical id. */
  queueNames: ReadonlyMap<string, string>;
}

/** Credentials a function's SDK calls sign with (its role's, once IAM is enforced). */
export type CredentialsFor = (fn: TemplateFunction) => {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
};

/** Why a template function does not run locally. */
export interface SkippedFunction {
  logicalId: string;
  path: string | undefined;
  reason: string;
}

export interface DerivedFunctions {
  /** By local name (= logical id). */
  specs: Map<string, FunctionSpec & { template: TemplateFunction }>;
  skipped: SkippedFunction[];
}

/** What invokes a function in the template, besides other functions (by `Ref` in their environment). */
function entryPoints(template: LocalTemplate): Set<string> {
  const ids = new Set<string>();
  for (const api of template.httpApis) {
    for (const integration of api.integrations.values())
      if (integration.functionLogicalId !== undefined) ids.add(integration.functionLogicalId);
    for (const authorizer of api.authorizers.values())
      if (authorizer.functionLogicalId !== undefined) ids.add(authorizer.functionLogicalId);
  }
  for (const mapping of template.eventSourceMappings) if (mapping.enabled) ids.add(mapping.functionLogicalId);
  for (const schedule of template.schedules)
    if (schedule.enabled) for (const target of schedule.targets) ids.add(target.functionLogicalId);
  return ids;
}

/** The functions that run: the entry points and every function their environments name, transitively. */
export function runningFunctions(template: LocalTemplate): Set<string> {
  const running = entryPoints(template);
  const pending = [...running];
  while (pending.length > 0) {
    const fn = template.functions.get(pending.pop() ?? '');
    for (const id of referencedIds(fn?.environment ?? {})) {
      if (template.functions.has(id) && !running.has(id)) {
        running.add(id);
        pending.push(id);
      }
    }
  }
  return running;
}

/** The function and its published versions (a reference to a version calls the function). */
function versionsOf(template: LocalTemplate, logicalId: string): Set<string> {
  const ids = new Set([logicalId]);
  for (const id of template.resourcesByType.get('AWS::Lambda::Version') ?? []) {
    if (referencedIds(template.template.Resources[id]?.Properties?.FunctionName).includes(logicalId))
      ids.add(id);
  }
  return ids;
}

/** Who calls a function that does not run locally, for the start log and the docs. */
function skipReason(template: LocalTemplate, logicalId: string): string {
  const targets = versionsOf(template, logicalId);
  const references = (value: unknown): boolean => referencedIds(value).some((id) => targets.has(id));
  for (const [id, resource] of Object.entries(template.template.Resources)) {
    if (resource.Type === 'AWS::Lambda::Function' || !references(resource.Properties ?? {})) continue;
    if (resource.Type.startsWith('Custom::') || resource.Type === 'AWS::CloudFormation::CustomResource')
      return `run by CloudFormation for ${id} (${resource.Type}) at deploy time`;
    if (resource.Type === 'AWS::Cognito::UserPool')
      return `a Cognito trigger of ${id}: the local Cognito calls the CustomMessage handler itself and emulates the others (docs/local-stack.md)`;
  }
  const caller = [...template.functions.values()].find(
    (fn) => fn.logicalId !== logicalId && references(fn.environment),
  );
  if (caller !== undefined) return `called only by ${caller.logicalId}, which does not run locally`;
  return 'nothing in the template invokes it locally (a custom resource provider)';
}

function queueArn(world: LocalWorld, name: string): string {
  return `arn:aws:sqs:${world.region}:${LOCAL_ACCOUNT}:${name}`;
}

/** What `Ref` and `Fn::GetAtt` yield for each resource the local world has a twin of. */
export function localResources(template: LocalTemplate, world: LocalWorld): Map<string, ResolvedResource> {
  const resources = new Map<string, ResolvedResource>();
  const ids = (type: string): string[] => template.resourcesByType.get(type) ?? [];
  for (const id of ids('AWS::S3::Bucket')) {
    resources.set(id, {
      ref: world.bucket.name,
      attributes: {
        Arn: `arn:aws:s3:::${world.bucket.name}`,
        DomainName: new URL(world.bucket.endpoint).host,
        RegionalDomainName: new URL(world.bucket.endpoint).host,
      },
    });
  }
  for (const id of ids('AWS::Cognito::UserPool')) {
    resources.set(id, {
      ref: world.userPool.id,
      attributes: {
        Arn: `arn:aws:cognito-idp:${world.region}:${LOCAL_ACCOUNT}:userpool/${world.userPool.id}`,
        ProviderURL: world.userPool.issuer,
        UserPoolId: world.userPool.id,
      },
    });
  }
  for (const id of ids('AWS::Cognito::UserPoolClient'))
    resources.set(id, { ref: world.userPool.clientId, attributes: { ClientId: world.userPool.clientId } });
  for (const [id, name] of world.queueNames) {
    const url = `${world.gateway}/${LOCAL_ACCOUNT}/${name}`;
    resources.set(id, {
      ref: url,
      attributes: { Arn: queueArn(world, name), QueueName: name, QueueUrl: url },
    });
  }
  for (const id of [...ids('AWS::RDS::DBInstance'), ...ids('AWS::RDS::DBCluster')]) {
    const attributes = {
      'Endpoint.Address': world.database.host,
      'Endpoint.Port': String(world.database.port),
      // What rds-db:connect's resource ARN names the database by (dbuser:<resource id>/<user>).
      DbiResourceId: LOCAL_DATABASE_RESOURCE_ID,
      DBClusterResourceId: LOCAL_DATABASE_RESOURCE_ID,
    };
    resources.set(id, { ref: world.database.name, attributes });
  }
  for (const id of template.functions.keys()) {
    resources.set(id, {
      ref: id,
      attributes: { Arn: `arn:aws:lambda:${world.region}:${LOCAL_ACCOUNT}:function:${id}` },
    });
  }
  return resources;
}

/**
 * A layer's files are under /opt on Lambda; locally under its asset folder. A path into /opt is the only
 * value rewritten (to the last layer that has the file, as later layers overwrite earlier ones).
 */
function layerPath(value: string, layerDirs: readonly string[]): string {
  if (!value.startsWith('/opt/')) return value;
  const relative = value.slice('/opt/'.length);
  const found = [...layerDirs].reverse().find((dir) => existsSync(path.join(dir, relative)));
  return found === undefined ? value : path.join(found, relative);
}

/**
 * The variables the local world adds to a function's template environment (docs/local-stack.md lists
 * each): the endpoints of the local services, which the SDK clients of functions/commons read, and where
 * Cognito's issuer and keys are locally. Nothing here names a resource the template does not give it.
 */
function endpointVariables(world: LocalWorld, environment: Record<string, string>): Record<string, string> {
  const added: Record<string, string> = {
    S3_ENDPOINT: world.bucket.endpoint,
    S3_FORCE_PATH_STYLE: 'true',
    COGNITO_ENDPOINT: world.userPool.endpoint,
    LAMBDA_ENDPOINT: world.gateway,
    AWS_ENDPOINT_URL_SQS: world.gateway,
  };
  // cognito-local issues its tokens under its own issuer and serves its keys itself.
  if ('JWT_ISSUER' in environment) added.JWT_ISSUER = world.userPool.issuer;
  if ('JWKS_URI' in environment) added.JWKS_URI = world.userPool.jwksUri;
  if (environment.DB_IAM_AUTH === 'true') {
    // Through the gate the template's own DB_HOST/DB_PORT/DB_USER and IAM token are used, over TLS trusted as
    // the runtime's RDS bundle is on AWS; without it (LOCAL_IAM=off, an external server) a URL stands in.
    if (world.database.caCertificate === undefined) added.DATABASE_URL = world.database.url;
    else added.NODE_EXTRA_CA_CERTS = world.database.caCertificate;
  }
  return added;
}

/** Lambda's own variables of every execution environment (the runtime's reserved names). */
function runtimeVariables(
  fn: TemplateFunction,
  world: LocalWorld,
  entryFile: string,
): Record<string, string> {
  return {
    AWS_REGION: world.region,
    AWS_DEFAULT_REGION: world.region,
    AWS_EXECUTION_ENV: `AWS_Lambda_${fn.runtime ?? 'nodejs22.x'}`,
    AWS_LAMBDA_FUNCTION_NAME: fn.logicalId,
    AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
    AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(fn.memoryMb),
    AWS_LAMBDA_LOG_GROUP_NAME: `/aws/lambda/${fn.logicalId}`,
    AWS_LAMBDA_LOG_STREAM_NAME: 'local',
    LAMBDA_TASK_ROOT: path.dirname(entryFile),
    _HANDLER: fn.handler,
    TZ: ':UTC',
    LANG: 'en_US.UTF-8',
    PATH: ['/usr/local/bin', '/usr/bin', '/bin', ...fn.layerDirs.map((dir) => path.join(dir, 'bin'))].join(
      ':',
    ),
  };
}

/** The template's intrinsics, resolved to the local world's names. */
function worldResolver(template: LocalTemplate, world: LocalWorld): ReturnType<typeof createResolver> {
  return createResolver({
    resources: localResources(template, world),
    pseudo: { region: world.region, accountId: LOCAL_ACCOUNT, stackName: world.stackName },
    conditions: template.template.Conditions,
  });
}

/**
 * The headers the CDN adds to every request to the API (the origin secret the API's functions require), resolved:
 * the gateway adds them, since it stands where CloudFront does. Every origin must agree (the gateway is one).
 */
export function cdnOriginHeaders(template: LocalTemplate, world: LocalWorld): Record<string, string> {
  const resolve = worldResolver(template, world);
  const headers: Record<string, string> = {};
  for (const { name, value } of template.cdnOriginHeaders) {
    const resolved = resolve(value);
    if (typeof resolved !== 'string' || (headers[name] !== undefined && headers[name] !== resolved))
      throw new LocalStackConfigError(`The CDN's origin header ${name} has no single local value`);
    headers[name] = resolved;
  }
  return headers;
}

export function deriveFunctions(
  template: LocalTemplate,
  world: LocalWorld,
  credentialsFor: CredentialsFor,
): DerivedFunctions {
  const resolve = worldResolver(template, world);
  const running = runningFunctions(template);
  const specs: DerivedFunctions['specs'] = new Map();
  const skipped: SkippedFunction[] = [];
  for (const fn of template.functions.values()) {
    if (!running.has(fn.logicalId)) {
      skipped.push({ logicalId: fn.logicalId, path: fn.path, reason: skipReason(template, fn.logicalId) });
      continue;
    }
    const entry = handlerEntry(fn);
    if (entry === undefined)
      throw new LocalStackConfigError(
        `${fn.logicalId}: no bundle for handler ${fn.handler} in the cloud assembly`,
      );
    let environment: Record<string, string>;
    try {
      environment = resolveStrings(resolve, fn.environment);
    } catch (error) {
      if (error instanceof UnresolvableError)
        throw new LocalStackConfigError(`${fn.logicalId}'s environment: ${error.message}`, { cause: error });
      throw error;
    }
    for (const [name, value] of Object.entries(environment))
      environment[name] = layerPath(value, fn.layerDirs);
    // On Lambda NODE_EXTRA_CA_CERTS names the runtime's RDS bundle (/var/runtime/ca-cert.pem), which does not
    // exist here: the gate's certificate takes its place (endpointVariables), or, without the gate, nothing.
    if (environment.NODE_EXTRA_CA_CERTS !== undefined && !existsSync(environment.NODE_EXTRA_CA_CERTS))
      delete environment.NODE_EXTRA_CA_CERTS;
    const credentials = credentialsFor(fn);
    specs.set(fn.logicalId, {
      template: fn,
      name: fn.logicalId,
      arn: `arn:aws:lambda:${world.region}:${LOCAL_ACCOUNT}:function:${fn.logicalId}`,
      entryFile: entry.file,
      exportName: entry.exportName,
      taskRoot: path.dirname(entry.file),
      env: {
        ...environment,
        ...endpointVariables(world, environment),
        ...runtimeVariables(fn, world, entry.file),
        AWS_ACCESS_KEY_ID: credentials.accessKeyId,
        AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey,
        ...(credentials.sessionToken === undefined ? {} : { AWS_SESSION_TOKEN: credentials.sessionToken }),
      },
      timeoutSeconds: fn.timeoutSeconds,
      memoryMb: fn.memoryMb,
      reservedConcurrency: fn.reservedConcurrency,
    });
  }
  return { specs, skipped };
}

/** The queue an event source mapping reads and its dead-letter queue: the two the local queue emulates. */
export function eventSourceQueues(template: LocalTemplate): {
  mapping: LocalTemplate['eventSourceMappings'][number];
  queue: TemplateQueue;
  deadLetter: TemplateQueue;
}[] {
  return template.eventSourceMappings.flatMap((mapping) => {
    const queue = template.queues.get(mapping.queueLogicalId ?? '');
    const deadLetter = template.queues.get(queue?.redrive?.deadLetterQueueLogicalId ?? '');
    if (queue === undefined || deadLetter === undefined || !mapping.enabled)
      throw new LocalStackConfigError(
        `${mapping.logicalId}: the local stack emulates an SQS event source with a dead-letter queue only`,
      );
    return [{ mapping, queue, deadLetter }];
  });
}

/** The local name of the queue S3 notifies: kept across versions, since its pg-boss state survives restarts. */
export const UPLOAD_QUEUE_NAME = 'idrl-uploads';

/**
 * The local names of the event sources' queues, each dead-letter queue named after its queue (`<name>-dlq`): the
 * queue the bucket notifies is {@link UPLOAD_QUEUE_NAME}, any other `idrl-` and its logical id without CDK's hash
 * (`ViewsQueue1A2B3C4D` → `idrl-views-queue`), stable across synths.
 */
export function localQueueNames(
  template: LocalTemplate,
  sources: readonly { queue: TemplateQueue; deadLetter: TemplateQueue }[],
): Map<string, string> {
  const notified = new Set(
    (template.resourcesByType.get('Custom::S3BucketNotifications') ?? []).flatMap((id) =>
      referencedIds(template.template.Resources[id]?.Properties ?? {}),
    ),
  );
  const names = new Map<string, string>();
  for (const { queue, deadLetter } of sources) {
    const name = notified.has(queue.logicalId)
      ? UPLOAD_QUEUE_NAME
      : `idrl-${queue.logicalId
          .replace(/[0-9A-F]{8}$/, '')
          .replace(/([a-z0-9])([A-Z])/g, '$1-$2')
          .toLowerCase()}`;
    if ([...names.values()].includes(name))
      throw new LocalStackConfigError(`Two event source queues would both be named ${name} locally`);
    names.set(queue.logicalId, name);
    names.set(deadLetter.logicalId, `${name}-dlq`);
  }
  return names;
}

/**
 * A schedule expression as a pg-boss cron (minute resolution): `rate(N minutes|hours|days)` and
 * EventBridge's six-field `cron(min hour day month weekday year)`.
 */
export function scheduleCron(expression: string): string {
  const rate = /^rate\((\d+) (minute|minutes|hour|hours|day|days)\)$/.exec(expression);
  if (rate) {
    const every = Number(rate[1]);
    const unit = rate[2] ?? '';
    if (unit.startsWith('minute')) return every === 1 ? '* * * * *' : `*/${every} * * * *`;
    if (unit.startsWith('hour')) return every === 1 ? '0 * * * *' : `0 */${every} * * *`;
    return every === 1 ? '0 0 * * *' : `0 0 */${every} * *`;
  }
  const cron = /^cron\((\S+) (\S+) (\S+) (\S+) (\S+) (\S+)\)$/.exec(expression);
  if (cron) {
    const [, minute, hour, day, month, weekday] = cron.map((field) => field.replaceAll('?', '*'));
    return [minute, hour, day, month, weekday].join(' ');
  }
  throw new LocalStackConfigError(`Schedule expression ${expression} is not supported locally`);
}
