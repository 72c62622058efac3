/**
 * Builds API Gateway HTTP API v2 events (payload 2.0) as the gateway hands them to the route
 * functions after the Lambda authorizer, and invokes a handler with a Lambda-like context.
 */
import { randomInt } from 'node:crypto';
import type { Context } from 'aws-lambda';
import type { ApiEvent, ApiHandler } from '#commons/http';
import type { Caller } from '#core/task';
import type { HttpMethod } from '#functions/routes';
import { lambdaContext } from '#infra/local/lambda-context';
import { checkExchange, type CheckOptions } from '#test/helpers/contract';

export interface EventInput {
  method: HttpMethod;
  /** The route path as in functions/routes.ts, e.g. /api/tasks/{id}. */
  route: string;
  pathParameters?: Record<string, string>;
  query?: Record<string, string>;
  /** An object is sent as JSON; a string is sent verbatim (for malformed bodies). */
  body?: unknown;
  headers?: Record<string, string>;
  /**
   * The connection's address as API Gateway sees it (behind the CDN: an edge's). @default a new one per event, in
   * 100.64.0.0/10: every request is its own client (the vote handlers count per address, docs/infra.md), unless a
   * test names one.
   */
  sourceIp?: string;
  /** The authorizer's context; omitted for public routes. */
  caller?: Caller;
  /** Whether the authorizer found the caller in the league's admins group. @default false */
  admin?: boolean;
}

/** A random address in the shared address space 100.64.0.0/10 (none of the tests' own 10.0.0.0/8 ones). */
function anyClientAddress(): string {
  const host = randomInt(1 << 22);
  return `100.${String(64 + (host >> 16))}.${String((host >> 8) & 255)}.${String(host & 255)}`;
}

export function apiEvent(input: EventInput): ApiEvent {
  const rawPath = input.route.replace(
    /\{(\w+)\}/g,
    (_match, name: string) => input.pathParameters?.[name] ?? '',
  );
  const rawQueryString = new URLSearchParams(input.query).toString();
  const now = new Date();
  return {
    version: '2.0',
    routeKey: `${input.method} ${input.route}`,
    rawPath,
    rawQueryString,
    headers: { 'content-type': 'application/json', ...input.headers },
    queryStringParameters: input.query,
    pathParameters: input.pathParameters,
    body:
      input.body === undefined
        ? undefined
        : typeof input.body === 'string'
          ? input.body
          : JSON.stringify(input.body),
    isBase64Encoded: false,
    requestContext: {
      accountId: '000000000000',
      apiId: 'test',
      domainName: 'api.test',
      domainPrefix: 'api',
      http: {
        method: input.method,
        path: rawPath,
        protocol: 'HTTP/1.1',
        sourceIp: input.sourceIp ?? anyClientAddress(),
        userAgent: 'vitest',
      },
      requestId: crypto.randomUUID(),
      routeKey: `${input.method} ${input.route}`,
      stage: '$default',
      time: now.toISOString(),
      timeEpoch: now.getTime(),
      ...(input.caller === undefined
        ? {}
        : {
            authorizer: {
              lambda: { sub: input.caller.sub, username: input.caller.username, admin: input.admin ?? false },
            },
          }),
    },
  };
}

export function testContext(name = 'test'): Context {
  return lambdaContext({ name, region: 'us-east-1', timeoutSeconds: 30, memoryMb: 256 });
}

export interface InvokeResult {
  statusCode: number;
  headers: Record<string, string>;
  /** The parsed JSON body, or undefined for an empty body. */
  body: unknown;
}

/**
 * Invokes a handler of the JSON API as API Gateway would, and fails unless the request and the response are
 * within the published OpenAPI document (test/helpers/contract.ts). A test that sends a request outside the
 * contract on purpose says so with `{ invalidRequest: true }`; its response is still checked.
 */
export async function invoke(
  handler: ApiHandler,
  input: EventInput | ApiEvent,
  options: CheckOptions = {},
): Promise<InvokeResult> {
  const event = 'version' in input ? input : apiEvent(input);
  // Read before the call: the handler's middleware replaces the event's body with the parsed one.
  const request = {
    method: event.requestContext.http.method,
    path: event.rawPath,
    route: { template: event.routeKey.replace(/^\S+ /, ''), pathParameters: { ...event.pathParameters } },
    query: { ...event.queryStringParameters },
    body: options.invalidRequest ? undefined : requestBody(event),
  };
  const result = await invokeOutsideContract(handler, event);
  checkExchange(
    {
      ...request,
      response: { status: result.statusCode, contentType: result.headers['content-type'], body: result.body },
    },
    options,
  );
  return result;
}

/** The JSON the event carries; a body that is not JSON can only be a deliberately invalid request. */
function requestBody(event: ApiEvent): unknown {
  if (event.body === undefined || event.body === '') return undefined;
  const text = event.isBase64Encoded ? Buffer.from(event.body, 'base64').toString('utf8') : event.body;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new Error(
      `${event.routeKey}: the request body is not JSON; a test that means it passes { invalidRequest: true }`,
    );
  }
}

/**
 * Invokes a handler without the contract check: for the middleware's own tests, whose stub handlers stand on
 * made-up routes that are not part of the API.
 */
export async function invokeOutsideContract(
  handler: ApiHandler,
  input: EventInput | ApiEvent,
): Promise<InvokeResult> {
  const event = 'version' in input ? input : apiEvent(input);
  const result = await handler(event, testContext());
  return {
    statusCode: result.statusCode,
    headers: result.headers,
    body: result.body === '' ? undefined : (JSON.parse(result.body) as unknown),
  };
}
