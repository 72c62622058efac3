/**
 * The local API Gateway: a node:http server that turns requests into HTTP API v2 (payload 2.0)
 * events for the handlers of the one route table, runs the same Lambda authorizer (simple
 * responses, identity source `$request.header.Authorization`) for routes with `auth`, answers
 * CORS like the HttpApi's corsPreflight, and maps results and failures to the responses API
 * Gateway itself would send.
 */
import { randomUUID } from 'node:crypto';
import { type IncomingMessage, type Server, type ServerResponse, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type {
  APIGatewayEventRequestContextV2,
  APIGatewayProxyEventV2,
  APIGatewayProxyEventV2WithRequestContext,
  APIGatewayProxyResultV2,
  APIGatewayRequestAuthorizerEventV2,
  APIGatewaySimpleAuthorizerResult,
  Context,
} from 'aws-lambda';
import { PER_CLIENT_REFUSAL_MESSAGE, type PerClientRule, type RouteDefinition } from '#functions/routes';
import { VIEWER_ADDRESS_HEADER } from '#core/client-address';
import { FunctionTimeoutError } from './errors';
import { authorizeAwsCall } from './iam/aws-call';
import type { IamEnforcer } from './iam/enforcer';
import { jsonServiceError } from './iam/service-errors';
import { LOCAL_ACCOUNT_ID, type LocalFunction, invoke } from './lambda-context';
import { type InvocableHandler, answerInvocation, invocationTarget } from './lambda-api';
import { LOOPBACK, closeServer } from './services/preflight';
import { PerClientWindow, TokenBucket } from './throttle';
import { requestTraceHeader } from './trace';

/** Payload 2.0; `authorizer.lambda` is the authorizer's context on routes with `auth`. */
export type GatewayEvent = APIGatewayProxyEventV2WithRequestContext<
  APIGatewayEventRequestContextV2 & { authorizer?: { lambda: Record<string, unknown> } }
>;
/** A structured result, or any other value that API Gateway serializes as a JSON 200. */
export type LambdaProxyResult = APIGatewayProxyResultV2<object>;
export type LambdaProxyHandler = (event: GatewayEvent, context: Context) => Promise<LambdaProxyResult>;
export type AuthorizerHandler = (
  event: APIGatewayRequestAuthorizerEventV2,
  context: Context,
) => Promise<AuthorizerResult>;
type AuthorizerResult = APIGatewaySimpleAuthorizerResult & { context?: Record<string, unknown> };

/** Bound on cached authorizer answers (API Gateway's own cache is per token as well). */
const AUTHORIZER_CACHE_MAX_ENTRIES = 1000;

export interface GatewayRoute {
  definition: RouteDefinition;
  handler: LambdaProxyHandler;
}

export interface GatewayOptions {
  port: number;
  region: string;
  routes: GatewayRoute[];
  authorizer: AuthorizerHandler;
  /**
   * Functions that other functions invoke through the Lambda API (lambda-api.ts), by name: the gateway is
   * also their LAMBDA_ENDPOINT. @default none
   */
  functions?: ReadonlyMap<string, InvocableHandler>;
  /** Origins other than the gateway's own allowed by CORS (the HttpApi's allowOrigins). */
  corsOrigins: string[];
  /**
   * Headers set on every route's event, replacing a client's of the same name: the CDN's origin headers (its
   * origin secret), since the gateway is the local stack's one front, where CloudFront stands on AWS. @default none
   */
  originHeaders?: Readonly<Record<string, string>>;
  /** How long the gateway waits for a route function or the authorizer (API Gateway's integration timeout). */
  functionTimeoutSeconds: number;
  /** How long an Invoke of `functions` may run. @default functionTimeoutSeconds */
  invocationTimeoutSeconds?: number;
  /** Reuse the authorizer's answer for the same Authorization header this long, as API Gateway does. @default 0 (no cache) */
  authorizerCacheTtlSeconds?: number;
  /**
   * AWS APIs the local stack answers besides the routes (the SQS calls of `npm run redrive` and of the
   * functions that queue uploads), for SigV4-signed requests carrying X-Amz-Target (the AWS JSON protocol);
   * undefined: no such API here.
   */
  awsApi?: (target: string, body: Buffer) => Promise<AwsApiAnswer | undefined>;
  /**
   * IAM enforcement of the AWS calls answered here (SQS, Lambda Invoke; infra/local/iam/aws-call.ts): each is
   * verified (SigV4, with the enforcer's keys) and authorized against the calling principal's policies before
   * it is answered. Undefined: every such call is refused, since nothing could verify its signature.
   */
  iam?: IamEnforcer;
  onError: (error: unknown, routeKey: string) => void;
  /**
   * Pages only the local stack has (the mailbox under /_local/): answers a request before the routes, or undefined
   * to leave it to them. The deployed API has no such path. @default none
   */
  localPages?: (method: string, url: URL) => Promise<LocalPageAnswer | undefined>;
  /**
   * Limits per client address (functions/routes.ts `perClientRules`), where WAF applies them on AWS: a rule counts
   * the requests of the routes it names, by the connection's remote address (never a header a client could set).
   * @default none
   */
  perClientRules?: readonly PerClientRule[];
  /** The clock of the routes' throttles and the per-client rules (milliseconds). @default Date.now */
  now?: () => number;
}

/** An AWS JSON 1.0 answer: the output, or an error whose `__type` the SDK turns into its exception. */
export interface AwsApiAnswer {
  statusCode: number;
  body: object;
}

export interface LocalPageAnswer {
  statusCode: number;
  headers: Record<string, string>;
  body: Buffer;
}

export interface Gateway {
  url: string;
  stop(): Promise<void>;
}

/** The Host names (with the gateway's port) a request may carry: those of the IPv4 loopback it listens on. */
const LOOPBACK_NAMES = ['localhost', LOOPBACK];

/** API Gateway's own limits and messages (HTTP API quotas: 10 MB payload, 30 s integration). */
const MAX_PAYLOAD_BYTES = 10 * 1024 * 1024;
const API_ID = 'local';

interface MatchedRoute {
  route: GatewayRoute;
  pathParameters: Record<string, string>;
}

interface RoutePattern {
  route: GatewayRoute;
  regex: RegExp;
  names: string[];
  /** API Gateway prefers the most specific route: more literal segments win. */
  literalSegments: number;
}

function compile(route: GatewayRoute): RoutePattern {
  const names: string[] = [];
  let literalSegments = 0;
  const source = route.definition.path
    .split('/')
    .map((segment) => {
      const parameter = /^\{([A-Za-z0-9_]+)(\+?)\}$/.exec(segment);
      if (!parameter) {
        literalSegments += 1;
        return segment.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
      }
      names.push(parameter[1] ?? '');
      return parameter[2] === '+' ? '(.+)' : '([^/]+)';
    })
    .join('/');
  return { route, regex: new RegExp(`^${source}$`), names, literalSegments };
}

export function routeMatcher(routes: GatewayRoute[]): (method: string, path: string) => MatchedRoute | null {
  const patterns = routes.map(compile).sort((a, b) => b.literalSegments - a.literalSegments);
  return (method, path) => {
    for (const pattern of patterns) {
      if (pattern.route.definition.method !== method) continue;
      const match = pattern.regex.exec(path);
      if (!match) continue;
      const pathParameters = Object.fromEntries(
        pattern.names.map((name, index) => [name, decodeURIComponent(match[index + 1] ?? '')]),
      );
      return { route: pattern.route, pathParameters };
    }
    return null;
  };
}

/** HTTP API passes text bodies as they are and base64-encodes everything else. */
function isTextContent(contentType: string | undefined): boolean {
  if (!contentType) return true;
  return /^(text\/|application\/(json|xml|javascript|x-www-form-urlencoded)\b)|\+(json|xml)\b/i.test(
    contentType,
  );
}

/** Lower-cased names, repeated headers joined with commas, cookies moved to their own field. */
function eventHeaders(request: IncomingMessage): { headers: Record<string, string>; cookies?: string[] } {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(request.headers)) {
    if (value === undefined || name === 'cookie') continue;
    headers[name] = Array.isArray(value) ? value.join(',') : value;
  }
  const cookies = request.headers.cookie?.split(/;\s*/).filter(Boolean);
  return cookies && cookies.length > 0 ? { headers, cookies } : { headers };
}

function queryParameters(search: URLSearchParams): Record<string, string> | undefined {
  const parameters: Record<string, string> = {};
  for (const name of new Set(search.keys())) parameters[name] = search.getAll(name).join(',');
  return Object.keys(parameters).length > 0 ? parameters : undefined;
}

export interface RawRequest {
  method: string;
  url: string;
  sourceIp: string;
  request: IncomingMessage;
  body: Buffer;
}

export function toApiEvent(raw: RawRequest, matched: MatchedRoute): APIGatewayProxyEventV2 {
  const url = new URL(raw.url, 'http://gateway');
  const { headers, cookies } = eventHeaders(raw.request);
  // API Gateway sets its own trace header on what it forwards (a caller's value does not choose the trace).
  headers['x-amzn-trace-id'] = requestTraceHeader();
  const routeKey = `${matched.route.definition.method} ${matched.route.definition.path}`;
  const now = new Date();
  const rawQueryString = url.search.slice(1);
  const text = isTextContent(headers['content-type']);
  return {
    version: '2.0',
    routeKey,
    rawPath: url.pathname,
    rawQueryString,
    ...(cookies ? { cookies } : {}),
    headers,
    queryStringParameters: queryParameters(url.searchParams),
    pathParameters: Object.keys(matched.pathParameters).length > 0 ? matched.pathParameters : undefined,
    requestContext: {
      accountId: LOCAL_ACCOUNT_ID,
      apiId: API_ID,
      domainName: headers.host ?? 'localhost',
      domainPrefix: (headers.host ?? 'localhost').split('.')[0] ?? 'localhost',
      http: {
        method: raw.method,
        path: url.pathname,
        protocol: `HTTP/${raw.request.httpVersion}`,
        sourceIp: raw.sourceIp,
        userAgent: headers['user-agent'] ?? '',
      },
      requestId: randomUUID(),
      routeKey,
      stage: '$default',
      time: now.toISOString(),
      timeEpoch: now.getTime(),
    },
    body: raw.body.length > 0 ? raw.body.toString(text ? 'utf8' : 'base64') : undefined,
    isBase64Encoded: raw.body.length > 0 && !text,
  };
}

function toAuthorizerEvent(
  event: APIGatewayProxyEventV2,
  region: string,
): APIGatewayRequestAuthorizerEventV2 {
  return {
    version: '2.0',
    type: 'REQUEST',
    routeArn: `arn:aws:execute-api:${region}:${LOCAL_ACCOUNT_ID}:${API_ID}/$default/${event.routeKey.replace(' ', '')}`,
    identitySource: [event.headers.authorization ?? ''],
    routeKey: event.routeKey,
    rawPath: event.rawPath,
    rawQueryString: event.rawQueryString,
    cookies: event.cookies ?? [],
    headers: event.headers,
    queryStringParameters: event.queryStringParameters,
    requestContext: event.requestContext,
    pathParameters: event.pathParameters,
    stageVariables: {},
  };
}

interface HttpResponse {
  statusCode: number;
  headers: Record<string, string>;
  cookies: string[];
  body: Buffer;
}

function gatewayMessage(statusCode: number, message: string): HttpResponse {
  return {
    statusCode,
    headers: { 'content-type': 'application/json' },
    cookies: [],
    body: Buffer.from(JSON.stringify({ message })),
  };
}

/** A structured result is used as is; anything else is JSON with status 200 (payload 2.0 rules). */
export function fromLambdaProxyResult(result: LambdaProxyResult): HttpResponse {
  if (typeof result === 'object' && 'statusCode' in result && result.statusCode !== undefined) {
    const headers = Object.fromEntries(
      Object.entries(result.headers ?? {}).map(([name, value]) => [name.toLowerCase(), String(value)]),
    );
    const body =
      result.body === undefined
        ? Buffer.alloc(0)
        : Buffer.from(result.body, result.isBase64Encoded ? 'base64' : 'utf8');
    return { statusCode: result.statusCode, headers, cookies: result.cookies ?? [], body };
  }
  const body = typeof result === 'string' ? result : JSON.stringify(result);
  return {
    statusCode: 200,
    headers: { 'content-type': 'application/json' },
    cookies: [],
    body: Buffer.from(body),
  };
}

function readBody(request: IncomingMessage): Promise<Buffer | null> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_PAYLOAD_BYTES) chunks.push(chunk);
    });
    request.on('end', () => {
      resolve(size > MAX_PAYLOAD_BYTES ? null : Buffer.concat(chunks));
    });
    request.on('error', reject);
  });
}

function corsHeaders(origin: string | undefined, allowed: ReadonlySet<string>): Record<string, string> {
  if (origin === undefined || !allowed.has(origin)) return {};
  return { 'access-control-allow-origin': origin, vary: 'origin' };
}

function preflight(origin: string | undefined, allowed: ReadonlySet<string>): HttpResponse {
  const headers = corsHeaders(origin, allowed);
  if (Object.keys(headers).length === 0)
    return { statusCode: 204, headers: {}, cookies: [], body: Buffer.alloc(0) };
  return {
    statusCode: 204,
    headers: {
      ...headers,
      'access-control-allow-methods': 'GET,POST,PATCH,DELETE,OPTIONS',
      'access-control-allow-headers': 'authorization,content-type',
      'access-control-max-age': '86400',
    },
    cookies: [],
    body: Buffer.alloc(0),
  };
}

export function startGateway(options: GatewayOptions): Promise<Gateway> {
  const match = routeMatcher(options.routes);
  // One bucket per throttled route, with the route table's numbers, like the stage's route settings.
  const throttles = new Map(
    options.routes.flatMap(({ definition }) =>
      definition.throttle ? [[definition, new TokenBucket(definition.throttle, options.now)] as const] : [],
    ),
  );
  // One sliding window per rule, found by the route key of each route the rule names.
  const perClient = new Map(
    (options.perClientRules ?? []).flatMap((rule) => {
      const window = new PerClientWindow(rule, options.now);
      return rule.routes.map((routeKey) => [routeKey, window] as const);
    }),
  );
  const allowedOrigins = new Set(options.corsOrigins);
  const fn = (name: string, timeoutSeconds = options.functionTimeoutSeconds): LocalFunction => ({
    name,
    region: options.region,
    timeoutSeconds,
    memoryMb: 512,
  });

  const cacheTtlMs = (options.authorizerCacheTtlSeconds ?? 0) * 1000;
  /** Answers by identity source (the Authorization header), in insertion order so the oldest go first. */
  const authorizerCache = new Map<string, { result: AuthorizerResult; expiresAt: number }>();

  async function authorizerResult(
    event: APIGatewayProxyEventV2,
    identity: string,
  ): Promise<AuthorizerResult> {
    const cached = authorizerCache.get(identity);
    if (cached !== undefined && cached.expiresAt > Date.now()) return cached.result;
    const result = await invoke(fn('authorizer'), (context) =>
      options.authorizer(toAuthorizerEvent(event, options.region), context),
    );
    if (cacheTtlMs > 0) {
      authorizerCache.delete(identity);
      authorizerCache.set(identity, { result, expiresAt: Date.now() + cacheTtlMs });
      // Tokens rotate hourly: keep the map from growing for the life of a long-running stack.
      if (authorizerCache.size > AUTHORIZER_CACHE_MAX_ENTRIES)
        authorizerCache.delete(authorizerCache.keys().next().value ?? identity);
    }
    return result;
  }

  async function authorize(
    event: APIGatewayProxyEventV2,
  ): Promise<{ denied: HttpResponse } | { context: Record<string, unknown> }> {
    // The identity source must be present and non-empty, or API Gateway answers without calling the authorizer.
    const identity = event.headers.authorization;
    if (!identity) return { denied: gatewayMessage(401, 'Unauthorized') };
    const result = await authorizerResult(event, identity);
    return result.isAuthorized
      ? { context: result.context ?? {} }
      : { denied: gatewayMessage(403, 'Forbidden') };
  }

  async function runRoute(route: GatewayRoute, event: GatewayEvent): Promise<HttpResponse> {
    return fromLambdaProxyResult(
      await invoke(fn(route.definition.name), (context) => route.handler(event, context)),
    );
  }

  /**
   * The refusal of an AWS call, in its service's error shape; undefined when it may be answered. A web page
   * that reaches the gateway (by DNS rebinding, say: `hostRefusal` is the first guard) can send any header,
   * so only a signature made with one of the stack's own secrets counts, never the header's mere presence.
   */
  async function iamRefusal(request: IncomingMessage, body: Buffer): Promise<HttpResponse | undefined> {
    // Answered in the REST-JSON shape (x-amzn-errortype), which both SDKs read.
    if (options.iam === undefined)
      return {
        ...jsonServiceError(
          'lambda',
          'MissingAuthenticationToken',
          'No credentials are known to this endpoint',
        ),
        cookies: [],
      };
    // On AWS the SDK reaches SQS and Lambda over HTTPS: aws:SecureTransport is what it would be there.
    const decision = await authorizeAwsCall(options.iam, {
      method: request.method ?? 'POST',
      url: request.url ?? '/',
      headers: request.headers,
      body,
      secure: true,
    });
    return decision.allowed ? undefined : { ...decision.answer, cookies: [] };
  }

  async function awsApiResponse(target: string, request: IncomingMessage): Promise<HttpResponse> {
    const body = await readBody(request);
    if (body === null) return gatewayMessage(413, 'Request Entity Too Large');
    const refused = await iamRefusal(request, body);
    if (refused !== undefined) return refused;
    const answer = await options.awsApi?.(target, body);
    if (answer === undefined) return gatewayMessage(404, 'Not Found');
    return {
      statusCode: answer.statusCode,
      headers: { 'content-type': 'application/x-amz-json-1.0' },
      cookies: [],
      body: Buffer.from(JSON.stringify(answer.body)),
    };
  }

  /**
   * The names this gateway answers to: its loopback names with its port. A page that rebinds its own host name
   * to 127.0.0.1 (DNS rebinding) is same-origin with the gateway in the browser, so CORS does not stop it; its
   * requests still carry that host name, which is refused here before anything else is read.
   */
  function hostRefusal(request: IncomingMessage): HttpResponse | undefined {
    const { port } = server.address() as AddressInfo;
    const host = request.headers.host?.toLowerCase();
    if (host !== undefined && LOOPBACK_NAMES.some((name) => host === `${name}:${port}`)) return undefined;
    request.resume();
    return gatewayMessage(421, 'Misdirected Request');
  }

  async function respond(request: IncomingMessage): Promise<HttpResponse> {
    const misdirected = hostRefusal(request);
    if (misdirected !== undefined) return misdirected;
    const method = request.method ?? 'GET';
    const url = request.url ?? '/';
    if (method === 'OPTIONS' && request.headers['access-control-request-method'])
      return preflight(request.headers.origin, allowedOrigins);
    const target = request.headers['x-amz-target'];
    if (method === 'POST' && typeof target === 'string' && options.awsApi)
      return awsApiResponse(target, request);
    const parsed = new URL(url, 'http://gateway');
    const page = await options.localPages?.(method, parsed);
    if (page !== undefined) {
      request.resume();
      return { ...page, cookies: [] };
    }
    const path = parsed.pathname;
    const invoked = invocationTarget(method, path);
    if (invoked !== undefined) {
      const body = await readBody(request);
      if (body === null) return gatewayMessage(413, 'Request Entity Too Large');
      const refused = await iamRefusal(request, body);
      if (refused !== undefined) return refused;
      const invocationType = request.headers['x-amz-invocation-type'];
      const answer = await answerInvocation({
        name: invoked,
        functions: options.functions ?? new Map(),
        invocationType: Array.isArray(invocationType) ? invocationType[0] : invocationType,
        body,
        fn: (name) => fn(name, options.invocationTimeoutSeconds),
      });
      return { ...answer, cookies: [] };
    }
    const matched = match(method, path);
    if (!matched) return gatewayMessage(404, 'Not Found');
    const sourceIp = request.socket.remoteAddress ?? LOOPBACK;
    // WAF answers at the CDN, before API Gateway's own throttles see the request.
    const retryAfter = perClient
      .get(`${matched.route.definition.method} ${matched.route.definition.path}`)
      ?.take(sourceIp);
    if (retryAfter !== undefined) {
      request.resume();
      const refused = gatewayMessage(429, PER_CLIENT_REFUSAL_MESSAGE);
      return { ...refused, headers: { ...refused.headers, 'retry-after': String(retryAfter) } };
    }
    if (throttles.get(matched.route.definition)?.take() === false) {
      // API Gateway's own answer; the request is drained so the connection can be reused.
      request.resume();
      return gatewayMessage(429, 'Too Many Requests');
    }
    const body = await readBody(request);
    if (body === null) return gatewayMessage(413, 'Request Entity Too Large');
    const viewerEvent = toApiEvent({ method, url, sourceIp, request, body }, matched);
    const event = { ...viewerEvent, headers: { ...viewerEvent.headers, ...cdnHeaders(request) } };
    try {
      if (matched.route.definition.auth) {
        const authorization = await authorize(event);
        if ('denied' in authorization) return authorization.denied;
        const authorized: GatewayEvent = {
          ...event,
          requestContext: { ...event.requestContext, authorizer: { lambda: authorization.context } },
        };
        return await runRoute(matched.route, authorized);
      }
      return await runRoute(matched.route, event);
    } catch (error) {
      options.onError(error, event.routeKey);
      return error instanceof FunctionTimeoutError
        ? gatewayMessage(503, 'Service Unavailable')
        : gatewayMessage(500, 'Internal Server Error');
    }
  }

  /**
   * What CloudFront adds on its way to the origin, replacing a client's headers of the same names: the origin
   * headers (its secret) and, as the API behaviours' origin request policy asks, the viewer's address and port
   * from the connection (functions/core/client-address.ts reads it). None without origin headers: no CDN here.
   */
  function cdnHeaders(request: IncomingMessage): Record<string, string> {
    if (options.originHeaders === undefined) return {};
    const { remoteAddress = LOOPBACK, remotePort = 0 } = request.socket;
    return { ...options.originHeaders, [VIEWER_ADDRESS_HEADER]: `${remoteAddress}:${String(remotePort)}` };
  }

  function send(request: IncomingMessage, response: ServerResponse, result: HttpResponse): void {
    const headers: Record<string, string | string[]> = {
      ...result.headers,
      ...corsHeaders(request.headers.origin, allowedOrigins),
      'apigw-requestid': randomUUID(),
      'content-length': String(result.body.length),
    };
    if (result.cookies.length > 0) headers['set-cookie'] = result.cookies;
    response.writeHead(result.statusCode, headers);
    response.end(result.body);
  }

  const server: Server = createServer((request, response) => {
    respond(request).then(
      (result) => {
        send(request, response, result);
      },
      (error: unknown) => {
        options.onError(error, `${request.method ?? ''} ${request.url ?? ''}`);
        send(request, response, gatewayMessage(500, 'Internal Server Error'));
      },
    );
  });

  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, LOOPBACK, () => {
      server.off('error', reject);
      resolve({
        url: `http://localhost:${options.port}`,
        stop: () => closeServer(server),
      });
    });
  });
}
