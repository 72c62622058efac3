/**
 * The HTTP edge of every API function: one middleware parses JSON bodies, shapes JSON responses
 * with security headers, and is the one place where errors become status codes (STYLE 6–7).
 */
import middy, { type MiddlewareObj, type MiddyfiedHandler } from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import type {
  APIGatewayEventRequestContextV2,
  APIGatewayProxyEventV2WithRequestContext,
  APIGatewayProxyStructuredResultV2,
} from 'aws-lambda';
import {
  ConflictError,
  DatabaseResumingError,
  FieldErrorsError,
  ForbiddenError,
  NotFoundError,
  PayloadTooLargeError,
  RetryableError,
  ServiceUnavailableError,
  TooManyRequestsError,
  UnauthorizedError,
  ValidationError,
  type FieldError,
} from '#core/errors';
import type { Caller } from '#core/task';
import { PUBLIC_MAX_AGE_SECONDS } from '#core/public-cache';
import { clientAddress } from '#core/client-address';
import { ORIGIN_VERIFY_VARIABLE, cameThroughCdn } from '#core/edge-origin';
import { invocationEnd } from '#commons/invocation-end';
import { logger } from '#commons/logger';

/** What the Lambda authorizer hands to the functions behind it (functions/api/authorizer.ts). */
export interface AuthorizerContext {
  sub: string;
  username: string;
  /** A member of the league's admins at the moment the authorizer checked (docs/api.md, "Who is an admin"). */
  admin: boolean;
}

/** An HTTP API v2 event; `authorizer` is present only on routes behind the Lambda authorizer. */
export type ApiEvent = APIGatewayProxyEventV2WithRequestContext<
  APIGatewayEventRequestContextV2 & {
    authorizer?: { lambda?: Partial<Record<keyof AuthorizerContext, unknown>> };
  }
>;

/** The event as the handler sees it: `body` already parsed from JSON by {@link httpJsonApi}. */
export type ParsedApiEvent = Omit<ApiEvent, 'body'> & { body?: unknown };

/** What a route's logic returns: `body` is serialized to JSON by {@link apiHandler}. */
export interface ApiResult {
  statusCode: number;
  body?: unknown;
  headers?: Record<string, string>;
  /**
   * The same answer for everyone (a public GET of docs/spec.md §5): shared caches (the CDN, browsers) may keep
   * it for PUBLIC_MAX_AGE_SECONDS. Anything else, errors included, is `no-store`.
   */
  cacheable?: boolean;
}

/** The Cache-Control of a cacheable answer. */
export const PUBLIC_CACHE_CONTROL = `public, max-age=${PUBLIC_MAX_AGE_SECONDS}`;

export interface HttpJsonApiOptions {
  /** Larger request bodies are answered 413 before parsing. @default 65536 */
  maxBodyBytes: number;
}

const defaults: HttpJsonApiOptions = { maxBodyBytes: 64 * 1024 };

/**
 * A JSON API needs these, not the HTML-page set of @middy/http-security-headers: responses are
 * never rendered or framed, are served over HTTPS only, and are not cached unless a route says so
 * (ApiResult.cacheable).
 */
export const securityHeaders: Readonly<Record<string, string>> = {
  'content-type': 'application/json; charset=utf-8',
  'cache-control': 'no-store',
  'content-security-policy': "default-src 'none'; frame-ancestors 'none'",
  'referrer-policy': 'no-referrer',
  'strict-transport-security': 'max-age=31536000; includeSubDomains',
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
};

/** What API Gateway receives: a v2 structured result with a JSON string body. */
export interface JsonResponse extends APIGatewayProxyStructuredResultV2 {
  statusCode: number;
  headers: Record<string, string>;
  body: string;
}

function jsonResponse(statusCode: number, body: unknown, headers: Record<string, string> = {}): JsonResponse {
  return {
    statusCode,
    headers: { ...headers, ...securityHeaders },
    body: body === undefined ? '' : JSON.stringify(body),
  };
}

function errorBody(message: string, errors: FieldError[] = []): { message: string; errors?: FieldError[] } {
  return errors.length > 0 ? { message, errors } : { message };
}

function parseJsonBody(event: ApiEvent, maxBodyBytes: number): unknown {
  if (event.body === undefined || event.body === '') return undefined;
  const raw = event.isBase64Encoded ? Buffer.from(event.body, 'base64') : Buffer.from(event.body, 'utf8');
  if (raw.byteLength > maxBodyBytes)
    throw new PayloadTooLargeError(`The request body is larger than ${maxBodyBytes} bytes`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw.toString('utf8'));
  } catch {
    throw new ValidationError('The request body is not valid JSON');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new ValidationError('The request body must be a JSON object');
  }
  return parsed;
}

/**
 * The HTTP status of each request error; anything else is a 500. Core errors carry no status: this
 * table is the one place that chooses it.
 */
const STATUS_BY_ERROR: readonly (readonly [abstract new (...args: never[]) => Error, number])[] = [
  [ValidationError, 400],
  [UnauthorizedError, 401],
  [ForbiddenError, 403],
  [NotFoundError, 404],
  [ConflictError, 409],
  [PayloadTooLargeError, 413],
  [TooManyRequestsError, 429],
  [ServiceUnavailableError, 503],
];

/** The status an error is answered with (500 when it is not a request error). */
export function statusOf(error: unknown): number {
  return STATUS_BY_ERROR.find(([type]) => error instanceof type)?.[1] ?? 500;
}

/** RFC 9110 §10.2.3: delay-seconds, for the errors that know when a retry can succeed. */
export function retryAfterHeader(error: unknown): Record<string, string> {
  return error instanceof RetryableError && error.retryAfterSeconds !== undefined
    ? { 'retry-after': String(Math.max(1, Math.ceil(error.retryAfterSeconds))) }
    : {};
}

const SERVICE_UNAVAILABLE_MESSAGE = 'The service is temporarily unavailable. Please try again shortly.';

function httpJsonApi(options: Partial<HttpJsonApiOptions> = {}): MiddlewareObj<ParsedApiEvent, JsonResponse> {
  const { maxBodyBytes } = { ...defaults, ...options };

  const httpJsonApiBefore: middy.MiddlewareFn<ParsedApiEvent, JsonResponse> = (request) => {
    // Lambda delivers the raw v2 event: its body is still the string API Gateway received.
    request.event.body = parseJsonBody(request.event as ApiEvent, maxBodyBytes);
  };

  const httpJsonApiOnError: middy.MiddlewareFn<ParsedApiEvent, JsonResponse> = (request) => {
    const { error } = request;
    const status = statusOf(error);
    const headers = retryAfterHeader(error);
    // One exposure rule (as Middy's): below 500 the message is for the caller; from 500 up it is an
    // internal (driver message, SDK error) that goes to the log only, and the caller gets a fixed text.
    if (status < 500) {
      const fields = error instanceof FieldErrorsError ? error.errors : [];
      request.response = jsonResponse(status, errorBody(error?.message ?? '', fields), headers);
      return;
    }
    if (status === 503) {
      logger.warn('Dependency unavailable', { error });
      // A resuming database is expected and brief: its own message says so (and the console shows
      // "waking up"); any other dependency failure gets the fixed text.
      const message = error instanceof DatabaseResumingError ? error.message : SERVICE_UNAVAILABLE_MESSAGE;
      request.response = jsonResponse(503, errorBody(message), headers);
      return;
    }
    logger.error('Unhandled error', { error });
    request.response = jsonResponse(500, errorBody('Internal server error'));
  };

  return { before: httpJsonApiBefore, onError: httpJsonApiOnError };
}

export type ApiHandler = MiddyfiedHandler<ParsedApiEvent, JsonResponse>;

/**
 * Refuses, before anything else runs, a request that did not come through the CDN (functions/core/edge-origin.ts).
 * Read per request, so a handler run outside the stack (no secret) answers as before.
 */
function onlyThroughCdn(): MiddlewareObj<ParsedApiEvent, JsonResponse> {
  return {
    before: (request) => {
      if (cameThroughCdn(request.event.headers, process.env[ORIGIN_VERIFY_VARIABLE])) return undefined;
      // API Gateway's own words for a refused request: nothing about why.
      return jsonResponse(403, errorBody('Forbidden'));
    },
  };
}

/** Wraps a route's logic with request logging context and the JSON API middleware. */
export function apiHandler(handle: (event: ParsedApiEvent) => Promise<ApiResult>): ApiHandler {
  return middy<ParsedApiEvent, JsonResponse>()
    .use(injectLambdaContext(logger))
    .use(invocationEnd())
    .use(onlyThroughCdn())
    .use(httpJsonApi())
    .handler(async function jsonApiHandler(event) {
      const { statusCode, body, headers, cacheable } = await handle(event);
      const response = jsonResponse(statusCode, body, headers);
      if (cacheable === true) response.headers['cache-control'] = PUBLIC_CACHE_CONTROL;
      return response;
    });
}

/**
 * The authenticated caller, as the authorizer established it. The authorizer lets a request with a
 * missing or invalid token through with an empty context (functions/api/authorizer.ts explains why),
 * so no identity here is the 401 of the API.
 */
function callerOf(event: ParsedApiEvent): Caller {
  const context = event.requestContext.authorizer?.lambda;
  const sub = context?.sub;
  const username = context?.username;
  if (typeof sub !== 'string' || sub === '' || typeof username !== 'string' || username === '') {
    throw new UnauthorizedError('Unauthorized');
  }
  return { sub, username };
}

/**
 * The client's address for the per-client limits: CloudFront's viewer address on a request that proved it came
 * through the CDN, the connection's otherwise (functions/core/client-address.ts).
 */
export function clientAddressOf(event: ParsedApiEvent): string {
  return clientAddress(
    { headers: event.headers, sourceIp: event.requestContext.http.sourceIp },
    process.env[ORIGIN_VERIFY_VARIABLE],
  );
}

/** {@link apiHandler} for routes behind the authorizer: the route's logic runs only for a known caller. */
export function authenticatedApiHandler(
  handle: (event: ParsedApiEvent, caller: Caller) => Promise<ApiResult>,
): ApiHandler {
  return apiHandler((event) => handle(event, callerOf(event)));
}

/**
 * {@link authenticatedApiHandler} for the admin routes (`admin: true` in the route table): anyone the authorizer did
 * not find in the league's admins group gets 403 before the route's logic runs.
 */
export function adminApiHandler(
  handle: (event: ParsedApiEvent, admin: Caller) => Promise<ApiResult>,
): ApiHandler {
  return authenticatedApiHandler((event, caller) => {
    if (event.requestContext.authorizer?.lambda?.admin !== true)
      throw new ForbiddenError("Only the league's admins may do this");
    return handle(event, caller);
  });
}
