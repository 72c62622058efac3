import { describe, expect, it, vi } from 'vitest';
import { apiHandler, authenticatedApiHandler, securityHeaders } from '#commons/http';
import { logger } from '#commons/logger';
import { ORIGIN_VERIFY_HEADER, ORIGIN_VERIFY_VARIABLE } from '#core/edge-origin';
import {
  ConflictError,
  DatabaseResumingError,
  NotFoundError,
  PayloadTooLargeError,
  ServiceUnavailableError,
  TooManyRequestsError,
  UnauthorizedError,
  ValidationError,
} from '#core/errors';
import { apiEvent, invokeOutsideContract as invoke } from '#test/helpers/api-gateway';

const echo = apiHandler((event) =>
  Promise.resolve({ statusCode: 200, body: { received: event.body ?? null } }),
);

function failing(error: unknown) {
  return apiHandler(() => Promise.reject(error instanceof Error ? error : new Error(String(error))));
}

describe('apiHandler', () => {
  it('parses a JSON object body and answers JSON with the security headers', async () => {
    // Act
    const response = await invoke(echo, { method: 'POST', route: '/api/echo', body: { a: 1, name: 'ñ😀' } });

    // Assess
    expect(response).toEqual({
      statusCode: 200,
      headers: securityHeaders,
      body: { received: { a: 1, name: 'ñ😀' } },
    });
  });

  it('decodes a base64-encoded body', async () => {
    // Prepare
    const event = {
      ...apiEvent({ method: 'POST', route: '/api/echo' }),
      body: Buffer.from('{"a":2}').toString('base64'),
      isBase64Encoded: true,
    };

    // Act
    const response = await invoke(echo, event);

    // Assess
    expect(response.body).toEqual({ received: { a: 2 } });
  });

  it.each([
    ['malformed JSON', '{"a":', 'The request body is not valid JSON'],
    ['an array', '[1,2]', 'The request body must be a JSON object'],
    ['a string', '"text"', 'The request body must be a JSON object'],
    ['null', 'null', 'The request body must be a JSON object'],
    ['a number', '42', 'The request body must be a JSON object'],
  ])('answers 400 for %s without calling the logic', async (_case, body, message) => {
    // Prepare
    const logic = vi.fn();
    const handler = apiHandler(logic);

    // Act
    const response = await invoke(handler, { method: 'POST', route: '/api/echo', body });

    // Assess
    expect(response).toEqual({ statusCode: 400, headers: securityHeaders, body: { message } });
    expect(logic).not.toHaveBeenCalled();
  });

  it('answers 413 for a body over 64 KiB and accepts one of exactly 64 KiB', async () => {
    // Prepare
    const exact = JSON.stringify({ pad: 'x'.repeat(64 * 1024 - 10) });

    // Act
    const accepted = await invoke(echo, { method: 'POST', route: '/api/echo', body: exact });
    const rejected = await invoke(echo, { method: 'POST', route: '/api/echo', body: `${exact} ` });

    // Assess
    expect(Buffer.byteLength(exact)).toBe(64 * 1024);
    expect(accepted.statusCode).toBe(200);
    expect(rejected).toEqual({
      statusCode: 413,
      headers: securityHeaders,
      body: { message: 'The request body is larger than 65536 bytes' },
    });
  });

  it.each<[Error, number, unknown]>([
    [
      new ValidationError('Invalid request', [{ field: 'size', message: 'Must be a positive integer' }]),
      400,
      { message: 'Invalid request', errors: [{ field: 'size', message: 'Must be a positive integer' }] },
    ],
    [new UnauthorizedError('Unauthorized'), 401, { message: 'Unauthorized' }],
    [new NotFoundError('Task not found'), 404, { message: 'Task not found' }],
    [
      new ConflictError('Taken', [{ field: 'username', message: 'Taken' }]),
      409,
      { message: 'Taken', errors: [{ field: 'username', message: 'Taken' }] },
    ],
    [new PayloadTooLargeError('Too large'), 413, { message: 'Too large' }],
    [
      // A 5xx message is never the thrower's: the client gets one fixed text, the log the detail.
      new ServiceUnavailableError('The database at 10.0.0.5 is unavailable'),
      503,
      { message: 'The service is temporarily unavailable. Please try again shortly.' },
    ],
  ])('maps %o to its status', async (error, statusCode, body) => {
    // Prepare
    const warn = vi.spyOn(logger, 'warn').mockImplementation(() => undefined);

    // Act
    const response = await invoke(failing(error), { method: 'GET', route: '/api/x' });

    // Assess
    expect(response).toEqual({ statusCode, headers: securityHeaders, body });
    expect(warn).toHaveBeenCalledTimes(statusCode >= 500 ? 1 : 0);
    warn.mockRestore();
  });

  it.each<[Error, number, unknown]>([
    [
      new TooManyRequestsError('Quota used up', { retryAfterSeconds: 90.2 }),
      429,
      { message: 'Quota used up' },
    ],
    [
      new ServiceUnavailableError('Cognito is throttling requests', { retryAfterSeconds: 5 }),
      503,
      { message: 'The service is temporarily unavailable. Please try again shortly.' },
    ],
    [new DatabaseResumingError(), 503, { message: 'The database is waking up. Try again in a few seconds.' }],
  ])('answers %o with its status and a Retry-After in whole seconds', async (error, statusCode, body) => {
    // Prepare
    const warn = vi.spyOn(logger, 'warn').mockImplementation(() => undefined);

    // Act
    const response = await invoke(failing(error), { method: 'GET', route: '/api/x' });

    // Assess
    const retryAfter = statusCode === 429 ? '91' : '5';
    expect(response).toEqual({
      statusCode,
      headers: { 'retry-after': retryAfter, ...securityHeaders },
      body,
    });
    warn.mockRestore();
  });

  it('answers a 429 without a known delay without Retry-After', async () => {
    // Act
    const response = await invoke(failing(new TooManyRequestsError('Too many unfinished tasks')), {
      method: 'GET',
      route: '/api/x',
    });

    // Assess
    expect(response).toEqual({
      statusCode: 429,
      headers: securityHeaders,
      body: { message: 'Too many unfinished tasks' },
    });
  });

  it('answers an unexpected error with a generic 500 and logs the details', async () => {
    // Prepare
    const log = vi.spyOn(logger, 'error').mockImplementation(() => undefined);
    const secret = new Error('password authentication failed for user "admin" at 10.0.0.5');

    // Act
    const response = await invoke(failing(secret), { method: 'GET', route: '/api/x' });

    // Assess
    expect(response).toEqual({
      statusCode: 500,
      headers: securityHeaders,
      body: { message: 'Internal server error' },
    });
    expect(log).toHaveBeenCalledWith('Unhandled error', { error: secret });
    log.mockRestore();
  });
});

describe('apiHandler behind the CDN (ORIGIN_VERIFY_SECRET set, as the stack sets it on every route)', () => {
  it("answers 403 without calling the logic unless the CDN's origin header carries the secret", async () => {
    // Prepare
    vi.stubEnv(ORIGIN_VERIFY_VARIABLE, 'stack-uuid');
    const logic = vi.fn(() => Promise.resolve({ statusCode: 200, body: { ok: true } }));
    const handler = apiHandler(logic);
    const request = (headers: Record<string, string>) => ({
      ...apiEvent({ method: 'GET', route: '/api/public/rankings' }),
      headers,
    });

    try {
      // Act: straight to the execute-api endpoint, with a guessed value, then through the CDN.
      const direct = await invoke(handler, request({}));
      const guessed = await invoke(handler, request({ [ORIGIN_VERIFY_HEADER]: 'local' }));
      const throughCdn = await invoke(handler, request({ [ORIGIN_VERIFY_HEADER]: 'stack-uuid' }));

      // Assess
      for (const refused of [direct, guessed])
        expect(refused).toEqual({
          statusCode: 403,
          headers: securityHeaders,
          body: { message: 'Forbidden' },
        });
      expect(throughCdn).toMatchObject({ statusCode: 200, body: { ok: true } });
      expect(logic).toHaveBeenCalledTimes(1);
    } finally {
      vi.unstubAllEnvs();
    }
  });
});

describe('authenticatedApiHandler', () => {
  const whoAmI = authenticatedApiHandler((_event, caller) =>
    Promise.resolve({ statusCode: 200, body: caller }),
  );

  it('hands the route the caller from the Lambda authorizer context', async () => {
    // Act
    const response = await invoke(whoAmI, {
      method: 'GET',
      route: '/api/tasks',
      caller: { sub: 's-1', username: 'ace' },
    });

    // Assess
    expect(response).toEqual({
      statusCode: 200,
      headers: securityHeaders,
      body: { sub: 's-1', username: 'ace' },
    });
  });

  it.each([
    ['no authorizer context', undefined],
    ["the authorizer's empty context for a missing or invalid token", {}],
    ['a context without a username', { sub: 's-1' }],
  ])('answers 401 without running the route for %s', async (_case, lambda) => {
    // Prepare
    const route = vi.fn();
    const guarded = authenticatedApiHandler(route);
    const event = apiEvent({ method: 'GET', route: '/api/tasks' });
    if (lambda !== undefined) event.requestContext.authorizer = { lambda };

    // Act
    const response = await invoke(guarded, event);

    // Assess
    expect(response).toEqual({
      statusCode: 401,
      headers: securityHeaders,
      body: { message: 'Unauthorized' },
    });
    expect(route).not.toHaveBeenCalled();
  });
});
