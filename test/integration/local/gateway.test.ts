import { request as httpRequest } from 'node:http';
import { LambdaClient } from '@aws-sdk/client-lambda';
import type { APIGatewayRequestAuthorizerEventV2 } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  type LambdaProxyResult,
  type AuthorizerHandler,
  type Gateway,
  type GatewayEvent,
  type GatewayOptions,
  startGateway,
} from '#infra/local/gateway';
import { freePort } from '#infra/local/services/preflight';
import { forgedSigV4Headers, signatureOnlyIam } from '#test/helpers/iam';
import type { InvocableHandler } from '#infra/local/lambda-api';
import { routes, type RouteDefinition } from '#functions/routes';
import { invokeAcross, invokeSynchronously } from '#adapters/lambda/invoke';
import { invocableHandler } from '#commons/invocable';
import { VIEWER_ADDRESS_HEADER, parseViewerAddress } from '#core/client-address';
import { ORIGIN_VERIFY_HEADER } from '#core/edge-origin';
import { ConflictError, DatabaseResumingError, TooManyRequestsError } from '#core/errors';
import { InvokedFunctionError } from '#core/platform-errors';
import * as z from '#core/zod';

const received: GatewayEvent[] = [];
const authorizations: APIGatewayRequestAuthorizerEventV2[] = [];
const errors: string[] = [];
let gateway: Gateway;

function route(
  definition: Omit<RouteDefinition, 'database' | 'summary'>,
  answer: (event: GatewayEvent) => LambdaProxyResult | Promise<LambdaProxyResult>,
) {
  return {
    definition: { ...definition, database: false, summary: definition.name },
    handler: (event: GatewayEvent) => {
      received.push(event);
      return Promise.resolve(answer(event));
    },
  };
}

const authorizer: AuthorizerHandler = (event) => {
  authorizations.push(event);
  return Promise.resolve(
    event.headers?.authorization === 'Bearer good'
      ? { isAuthorized: true, context: { sub: 'sub-1', username: 'pilot1' } }
      : { isAuthorized: false },
  );
};

/** The key the Invoke tests' SDK clients sign with. */
const LOCAL_KEY = { accessKeyId: 'local', secretAccessKey: 'local' };

/** A gateway of a test's own, on a free port, with this file's authorizer and error log unless overridden. */
async function ownGateway(
  options: Partial<GatewayOptions> & Pick<GatewayOptions, 'routes'>,
): Promise<Gateway> {
  return startGateway({
    port: await freePort(),
    region: 'us-east-1',
    authorizer,
    corsOrigins: [],
    functionTimeoutSeconds: 1,
    iam: signatureOnlyIam(LOCAL_KEY),
    onError: (error, routeKey) => errors.push(`${routeKey}: ${String(error)}`),
    ...options,
  });
}

beforeAll(async () => {
  const port = await freePort();
  gateway = await startGateway({
    port,
    region: 'us-east-1',
    authorizer,
    corsOrigins: ['http://dev.localhost:5173'],
    functionTimeoutSeconds: 1,
    onError: (error, routeKey) => errors.push(`${routeKey}: ${String(error)}`),
    routes: [
      route({ name: 'get-task', method: 'GET', path: '/api/tasks/{id}', auth: true }, () => ({
        statusCode: 200,
        body: '{"ok":true}',
        headers: { 'Content-Type': 'application/json' },
      })),
      route({ name: 'list-tasks', method: 'GET', path: '/api/tasks', auth: true }, () => ({
        statusCode: 200,
        body: '[]',
      })),
      route({ name: 'echo', method: 'POST', path: '/api/echo', auth: false }, (event) => ({
        echoed: event.body ?? null,
        base64: event.isBase64Encoded,
      })),
      route({ name: 'crash', method: 'GET', path: '/api/crash', auth: false }, () => {
        throw new Error('boom');
      }),
      route({ name: 'asset', method: 'GET', path: '/assets/{file}', auth: false }, (event) => ({
        statusCode: 200,
        body: event.pathParameters?.file ?? '',
      })),
      route(
        { name: 'slow', method: 'GET', path: '/api/slow', auth: false },
        () => new Promise<never>(() => undefined),
      ),
    ],
  });
});

afterAll(async () => {
  await gateway.stop();
});

describe('local API gateway', () => {
  it('hands the route an HTTP API v2 event with the authorizer context of a valid token', async () => {
    // Act
    const response = await fetch(`${gateway.url}/api/tasks/42?max=5&tag=a&tag=b`, {
      headers: { authorization: 'Bearer good', 'X-Trace': 'abc', cookie: 'a=1; b=2' },
    });

    // Assess
    expect([response.status, await response.json()]).toEqual([200, { ok: true }]);
    const event = received.at(-1);
    expect(event).toMatchObject({
      version: '2.0',
      routeKey: 'GET /api/tasks/{id}',
      rawPath: '/api/tasks/42',
      rawQueryString: 'max=5&tag=a&tag=b',
      cookies: ['a=1', 'b=2'],
      headers: { authorization: 'Bearer good', 'x-trace': 'abc' },
      queryStringParameters: { max: '5', tag: 'a,b' },
      pathParameters: { id: '42' },
      requestContext: {
        http: { method: 'GET', path: '/api/tasks/42', protocol: 'HTTP/1.1', sourceIp: '127.0.0.1' },
        routeKey: 'GET /api/tasks/{id}',
        stage: '$default',
        authorizer: { lambda: { sub: 'sub-1', username: 'pilot1' } },
      },
      isBase64Encoded: false,
    });
    expect(event?.headers.cookie).toBeUndefined();
    expect(authorizations.at(-1)).toMatchObject({
      type: 'REQUEST',
      identitySource: ['Bearer good'],
      routeKey: 'GET /api/tasks/{id}',
    });
  });

  it('adds a trace header of its own to every request, as API Gateway does, whatever the caller sent', async () => {
    // Act
    const caller = 'Root=1-6745a1b2-0123456789abcdef01234567';
    await fetch(`${gateway.url}/api/tasks/1`, {
      headers: { authorization: 'Bearer good', 'x-amzn-trace-id': caller },
    });
    const first = received.at(-1)?.headers['x-amzn-trace-id'];
    await fetch(`${gateway.url}/api/tasks/1`, { headers: { authorization: 'Bearer good' } });
    const second = received.at(-1)?.headers['x-amzn-trace-id'];

    // Assess
    expect([first, second]).toEqual([
      expect.stringMatching(/^Root=1-[0-9a-f]{8}-[0-9a-f]{24}$/),
      expect.stringMatching(/^Root=1-[0-9a-f]{8}-[0-9a-f]{24}$/),
    ]);
    expect(new Set([first, second, caller]).size).toBe(3);
    // The authorizer sees the request's header too (its invocation continues the same trace).
    expect(authorizations.at(-1)?.headers?.['x-amzn-trace-id']).toBe(second);
  });

  it('answers 401 without calling the authorizer when the Authorization header is missing, 403 when it denies', async () => {
    // Prepare
    const before = authorizations.length;

    // Act
    const missing = await fetch(`${gateway.url}/api/tasks`);
    const denied = await fetch(`${gateway.url}/api/tasks`, { headers: { authorization: 'Bearer bad' } });

    // Assess
    expect([missing.status, await missing.json()]).toEqual([401, { message: 'Unauthorized' }]);
    expect([denied.status, await denied.json()]).toEqual([403, { message: 'Forbidden' }]);
    expect(authorizations.length - before).toBe(1);
  });

  it('passes text bodies as they are, binary bodies base64-encoded, and serializes a plain result as JSON', async () => {
    // Act
    const text = await fetch(`${gateway.url}/api/echo`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"a":1}',
    });
    const binary = await fetch(`${gateway.url}/api/echo`, {
      method: 'POST',
      headers: { 'content-type': 'application/octet-stream' },
      body: new Uint8Array([0, 255]),
    });

    // Assess
    expect([text.status, text.headers.get('content-type'), await text.json()]).toEqual([
      200,
      'application/json',
      { echoed: '{"a":1}', base64: false },
    ]);
    expect(await binary.json()).toEqual({ echoed: 'AP8=', base64: true });
  });

  it('answers like API Gateway when no route matches, the body is too large, the function fails or times out', async () => {
    // Act
    const responses = await Promise.all([
      fetch(`${gateway.url}/api/nowhere`),
      fetch(`${gateway.url}/api/echo`, { method: 'POST', body: new Uint8Array(10 * 1024 * 1024 + 1) }),
      fetch(`${gateway.url}/api/crash`),
      fetch(`${gateway.url}/api/slow`),
    ]);

    // Assess
    expect(
      await Promise.all(
        responses.map(async (response): Promise<unknown[]> => [
          response.status,
          (await response.json()) as unknown,
        ]),
      ),
    ).toEqual([
      [404, { message: 'Not Found' }],
      [413, { message: 'Request Entity Too Large' }],
      [500, { message: 'Internal Server Error' }],
      [503, { message: 'Service Unavailable' }],
    ]);
    expect(errors).toEqual([
      'GET /api/crash: Error: boom',
      'GET /api/slow: FunctionTimeoutError: slow timed out after 1 seconds',
    ]);
  });

  it('decodes path parameters and answers CORS preflights for the allowed origins only', async () => {
    // Act
    const asset = await fetch(`${gateway.url}/assets/app%20v2.js`);
    const allowed = await fetch(`${gateway.url}/api/tasks`, {
      method: 'OPTIONS',
      headers: { origin: 'http://dev.localhost:5173', 'access-control-request-method': 'GET' },
    });
    const other = await fetch(`${gateway.url}/api/tasks`, {
      method: 'OPTIONS',
      headers: { origin: 'http://evil.example', 'access-control-request-method': 'GET' },
    });

    // Assess
    expect(await asset.text()).toBe('app v2.js');
    expect([
      allowed.status,
      allowed.headers.get('access-control-allow-origin'),
      allowed.headers.get('access-control-allow-methods'),
    ]).toEqual([204, 'http://dev.localhost:5173', 'GET,POST,PATCH,DELETE,OPTIONS']);
    expect([other.status, other.headers.get('access-control-allow-origin')]).toEqual([204, null]);
  });
});

/** A GET with the Host header given (fetch sets its own): the status answered. */
function getWithHost(url: string, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const request = httpRequest(url, { headers: { host } }, (response) => {
      response.resume();
      resolve(response.statusCode ?? 0);
    });
    request.on('error', reject);
    request.end();
  });
}

describe('local API gateway and the Host header', () => {
  it('answers only its own loopback names and port: another name (DNS rebinding) or port is 421', async () => {
    // Prepare
    const { port } = new URL(gateway.url);
    const asset = `${gateway.url}/assets/app.js`;
    const invocation = `${gateway.url}/2015-03-31/functions/purge-account/invocations`;
    received.length = 0;

    // Act
    const statuses = await Promise.all(
      [
        [asset, `localhost:${port}`],
        [asset, `LocalHost:${port}`],
        [asset, `127.0.0.1:${port}`],
        [asset, `attacker.example:${port}`],
        [asset, 'attacker.example'],
        [asset, `localhost:${Number(port) + 1}`],
        [asset, `localhost.attacker.example:${port}`],
        [invocation, `attacker.example:${port}`],
      ].map(([url = '', host = '']) => getWithHost(url, host)),
    );

    // Assess: the refused requests never reached the route.
    expect(statuses).toEqual([200, 200, 200, 421, 421, 421, 421, 421]);
    expect(received).toHaveLength(3);
  });
});

describe("local API gateway in the CDN's place", () => {
  it("sets the CDN's origin headers on every route's event, replacing a client's own value", async () => {
    // Prepare
    const fronting = await ownGateway({
      routes: [route({ name: 'echo', method: 'GET', path: '/api/echo', auth: false }, () => ({ ok: true }))],
      originHeaders: { 'x-idrl-origin-verify': 'stack-secret' },
    });
    received.length = 0;

    try {
      // Act
      await fetch(`${fronting.url}/api/echo`);
      await fetch(`${fronting.url}/api/echo`, { headers: { 'x-idrl-origin-verify': 'guessed' } });

      // Assess
      expect(received.map((event) => event.headers['x-idrl-origin-verify'])).toEqual([
        'stack-secret',
        'stack-secret',
      ]);
    } finally {
      await fronting.stop();
    }
  });
});

/** A GET from a socket bound to `from` (all of 127.0.0.0/8 is loopback): another client on this machine. */
function getFrom(url: string, from: string, headers: Record<string, string> = {}): Promise<number> {
  return new Promise((resolve, reject) => {
    const request = httpRequest(url, { localAddress: from, headers }, (response) => {
      response.resume();
      response.on('end', () => {
        resolve(response.statusCode ?? 0);
      });
    });
    request.on('error', reject);
    request.end();
  });
}

describe("local API gateway's CloudFront-Viewer-Address", () => {
  it("adds the viewer's address and port from the connection, as the vote behaviour's policy asks", async () => {
    // Prepare
    const fronting = await ownGateway({
      routes: [route({ name: 'echo', method: 'GET', path: '/api/echo', auth: false }, () => ({ ok: true }))],
      originHeaders: { 'x-idrl-origin-verify': 'stack-secret' },
    });
    received.length = 0;

    try {
      // Act: one client claims another address; a second client connects from 127.0.0.2.
      await getFrom(`${fronting.url}/api/echo`, '127.0.0.1', {
        'cloudfront-viewer-address': '198.51.100.10:443',
      });
      await getFrom(`${fronting.url}/api/echo`, '127.0.0.2');

      // Assess: the header is the socket's, whatever the client sent, and reads back as its address.
      const values = received.map((event) => event.headers[VIEWER_ADDRESS_HEADER] ?? '');
      expect(values).toEqual([
        expect.stringMatching(/^(::ffff:)?127\.0\.0\.1:\d+$/),
        expect.stringMatching(/^(::ffff:)?127\.0\.0\.2:\d+$/),
      ]);
      expect(values.map(parseViewerAddress)).toEqual(['127.0.0.1', '127.0.0.2']);
    } finally {
      await fronting.stop();
    }
  });

  it('adds none without origin headers: no CDN in front, so nothing the function would trust', async () => {
    // Prepare
    const bare = await ownGateway({
      routes: [route({ name: 'echo', method: 'GET', path: '/api/echo', auth: false }, () => ({ ok: true }))],
    });
    received.length = 0;

    try {
      // Act
      await getFrom(`${bare.url}/api/echo`, '127.0.0.1', {
        'cloudfront-viewer-address': '198.51.100.10:443',
      });

      // Assess: a client's own header passes as any viewer header would; nothing proves it (no secret).
      expect(received.map((event) => event.headers[VIEWER_ADDRESS_HEADER])).toEqual(['198.51.100.10:443']);
      expect(received[0]?.headers).not.toHaveProperty(ORIGIN_VERIFY_HEADER);
    } finally {
      await bare.stop();
    }
  });
});

describe('local API gateway with an authorizer cache', () => {
  it('reuses the authorizer answer per Authorization header until the TTL passes, as API Gateway does', async () => {
    // Prepare
    let calls = 0;
    const counting: AuthorizerHandler = async (event, context) => {
      calls += 1;
      return authorizer(event, context);
    };
    const cached = await ownGateway({
      authorizer: counting,
      functionTimeoutSeconds: 30,
      authorizerCacheTtlSeconds: 1,
      routes: [
        route({ name: 'list-tasks', method: 'GET', path: '/api/tasks', auth: true }, () => ({
          statusCode: 200,
          body: '[]',
        })),
      ],
    });
    const get = (token: string): Promise<number> =>
      fetch(`${cached.url}/api/tasks`, { headers: { authorization: `Bearer ${token}` } }).then(
        (response) => response.status,
      );

    // The cache's clock stands still while the requests run, however slowly the machine serves them.
    vi.useFakeTimers({ toFake: ['Date'] });

    try {
      // Act
      const first = [await get('good'), await get('good'), await get('bad'), await get('bad')];
      const callsWithinTtl = calls;
      vi.setSystemTime(Date.now() + 1_001);
      const afterTtl = await get('good');

      // Assess
      expect(first).toEqual([200, 200, 403, 403]);
      expect(callsWithinTtl).toBe(2);
      expect(afterTtl).toBe(200);
      expect(calls).toBe(3);
    } finally {
      vi.useRealTimers();
      await cached.stop();
    }
  });
});

describe('local API gateway throttling', () => {
  it("answers a throttled route's excess 429 with API Gateway's JSON error, refilling at the route's rate", async () => {
    // Prepare: a clock the test moves, so no timing of the machine matters.
    let now = 1_000_000;
    const throttled = await ownGateway({
      now: () => now,
      routes: [
        route(
          {
            name: 'signup',
            method: 'POST',
            path: '/api/auth/signup',
            auth: false,
            throttle: { rateLimit: 2, burstLimit: 3 },
          },
          () => ({ statusCode: 201, body: '{}' }),
        ),
        route({ name: 'echo', method: 'POST', path: '/api/echo', auth: false }, () => ({ ok: true })),
      ],
    });
    const post = async (path: string) => {
      const response = await fetch(`${throttled.url}${path}`, { method: 'POST', body: '{}' });
      return {
        status: response.status,
        type: response.headers.get('content-type'),
        body: await response.text(),
      };
    };

    try {
      // Act
      const burst = [];
      for (let index = 0; index < 4; index += 1) burst.push((await post('/api/auth/signup')).status);
      const excess = await post('/api/auth/signup');
      const unthrottled = [];
      for (let index = 0; index < 5; index += 1) unthrottled.push((await post('/api/echo')).status);
      now += 500; // one token at 2 per second
      const refilled = [(await post('/api/auth/signup')).status, (await post('/api/auth/signup')).status];

      // Assess
      expect(burst).toEqual([201, 201, 201, 429]);
      expect(excess).toEqual({
        status: 429,
        type: 'application/json',
        body: '{"message":"Too Many Requests"}',
      });
      expect(unthrottled).toEqual([200, 200, 200, 200, 200]);
      expect(refilled).toEqual([201, 429]);
    } finally {
      await throttled.stop();
    }
  });
});

describe('local API gateway throttling of the route table', () => {
  it('throttles voting and withdrawing with the numbers of functions/routes.ts, each route on its own', async () => {
    // Prepare: the real definitions with stand-in functions; a clock the test moves.
    let now = 1_000_000;
    const voting = routes.filter(
      (definition) => definition.name === 'vote' || definition.name === 'withdraw-vote',
    );
    const throttled = await ownGateway({
      now: () => now,
      routes: voting.map((definition) => ({
        definition,
        handler: () => Promise.resolve({ statusCode: 204 }),
      })),
    });
    const send = async (method: 'POST' | 'DELETE') =>
      (
        await fetch(`${throttled.url}/api/public/videos/7/vote`, {
          method,
          headers: { authorization: 'Bearer good' },
        })
      ).status;
    const burst = async (method: 'POST' | 'DELETE', count: number) => {
      const statuses: number[] = [];
      for (let index = 0; index < count; index += 1) statuses.push(await send(method));
      return statuses;
    };

    try {
      // Act
      const votes = await burst('POST', 51);
      const withdrawals = await burst('DELETE', 51);
      now += 1000; // 25 tokens at 25 per second
      const refilled = await burst('POST', 26);

      // Assess
      expect(voting.map((definition) => definition.throttle)).toEqual([
        { rateLimit: 25, burstLimit: 50 },
        { rateLimit: 25, burstLimit: 50 },
      ]);
      expect(votes).toEqual([...Array<number>(50).fill(204), 429]);
      expect(withdrawals).toEqual([...Array<number>(50).fill(204), 429]);
      expect(refilled).toEqual([...Array<number>(25).fill(204), 429]);
    } finally {
      await throttled.stop();
    }
  });
});

describe('local Lambda Invoke API', () => {
  it('answers @aws-sdk/client-lambda like Lambda: the result, a function error payload, an unknown function, no signature', async () => {
    // Prepare
    const invocable = await ownGateway({
      routes: [],
      functions: new Map<string, InvocableHandler>([
        ['doubler', (event: unknown) => Promise.resolve({ doubled: 2 * (event as { n: number }).n })],
        ['failing', () => Promise.reject(new ConflictError('Nope'))],
      ]),
    });
    const client = new LambdaClient({
      region: 'us-east-1',
      endpoint: invocable.url,
      credentials: LOCAL_KEY,
    });

    try {
      // Act
      const doubled = await invokeSynchronously(client, 'doubler', '{"n":21}');
      const byArn = await invokeSynchronously(
        client,
        'arn:aws:lambda:us-east-1:000000000000:function:doubler',
        '{"n":1}',
      );
      const failed = await invokeSynchronously(client, 'failing', '{}');
      // What a web page could send cross-site without a preflight: no signature.
      const unsigned = await fetch(`${invocable.url}/2015-03-31/functions/failing/invocations`, {
        method: 'POST',
        headers: { 'content-type': 'text/plain' },
        body: '{}',
      });
      const unknown = invokeSynchronously(client, 'missing', '{}');

      // Assess
      expect(doubled).toEqual({ functionError: undefined, payload: '{"doubled":42}' });
      expect(byArn).toEqual({ functionError: undefined, payload: '{"doubled":2}' });
      expect(failed.functionError).toBe('Unhandled');
      expect(JSON.parse(failed.payload)).toEqual({
        errorType: 'ConflictError',
        errorMessage: 'Nope',
        trace: expect.arrayContaining([expect.stringContaining('ConflictError: Nope')]) as unknown,
      });
      await expect(unknown).rejects.toMatchObject({
        name: 'ResourceNotFoundException',
        message: 'Function not found: missing',
        $metadata: { httpStatusCode: 404 },
      });
      expect({
        status: unsigned.status,
        type: unsigned.headers.get('x-amzn-errortype'),
        body: await unsigned.text(),
      }).toEqual({
        status: 403,
        type: 'MissingAuthenticationTokenException',
        body: '{"Type":"User","message":"Missing Authentication Token"}',
      });
    } finally {
      client.destroy();
      await invocable.stop();
    }
  });
});

describe('the local AWS surfaces and their signatures', () => {
  it('refuse a forged (all-zero) signature, and every call when the gateway knows no credentials', async () => {
    // Prepare
    const ran: string[] = [];
    const functions = new Map<string, InvocableHandler>([
      [
        'purge-account',
        () => {
          ran.push('purge-account');
          return Promise.resolve({ purged: true });
        },
      ],
    ]);
    const verifying = await ownGateway({ routes: [], functions });
    const keyless = await ownGateway({ routes: [], functions, iam: undefined });
    const client = new LambdaClient({ region: 'us-east-1', endpoint: keyless.url, credentials: LOCAL_KEY });

    try {
      // Act
      const forged = await fetch(`${verifying.url}/2015-03-31/functions/purge-account/invocations`, {
        method: 'POST',
        headers: forgedSigV4Headers(LOCAL_KEY.accessKeyId, 'lambda'),
        body: '{"userId":"anyone"}',
      });
      const signed = invokeSynchronously(client, 'purge-account', '{"userId":"anyone"}');

      // Assess
      expect([forged.status, forged.headers.get('x-amzn-errortype')]).toEqual([
        403,
        'InvalidSignatureException',
      ]);
      await expect(signed).rejects.toMatchObject({
        name: 'MissingAuthenticationTokenException',
        $metadata: { httpStatusCode: 403 },
      });
      expect(ran).toEqual([]);
    } finally {
      client.destroy();
      await Promise.all([verifying.stop(), keyless.stop()]);
    }
  });
});

describe('invokeAcross and invocableHandler', () => {
  it("bring back the result, a refusal as its request error, and a failure as the caller's own", async () => {
    // Prepare: one function inside the VPC as the platform writes them, refusing or failing by its input.
    const answering = invocableHandler(
      z.strictObject({ n: z.int(), outcome: z.enum(['double', 'conflict', 'quota', 'resuming', 'crash']) }),
      ({ n, outcome }) => {
        if (outcome === 'conflict')
          return Promise.reject(new ConflictError('Only a failed task can be retried.'));
        if (outcome === 'quota')
          return Promise.reject(new TooManyRequestsError('Too many', { retryAfterSeconds: 60 }));
        if (outcome === 'resuming') return Promise.reject(new DatabaseResumingError());
        if (outcome === 'crash') return Promise.reject(new Error('connect ECONNREFUSED 10.0.0.9:5432'));
        return Promise.resolve({ doubled: 2 * n });
      },
    );
    const invocable = await ownGateway({
      functionTimeoutSeconds: 5,
      routes: [],
      functions: new Map<string, InvocableHandler>([['inside', answering]]),
    });
    const client = new LambdaClient({
      region: 'us-east-1',
      endpoint: invocable.url,
      credentials: LOCAL_KEY,
    });
    const doubled = z.object({ doubled: z.int() });
    const call = (event: unknown, result: z.ZodMiniType = doubled) =>
      invokeAcross(client, 'inside', event, result);

    try {
      // Act + Assess
      expect(await call({ n: 21, outcome: 'double' })).toEqual({ doubled: 42 });
      await expect(call({ n: 1, outcome: 'conflict' })).rejects.toThrow(
        new ConflictError('Only a failed task can be retried.'),
      );
      await expect(call({ n: 1, outcome: 'quota' })).rejects.toMatchObject({
        name: 'TooManyRequestsError',
        message: 'Too many',
        retryAfterSeconds: 60,
      });
      await expect(call({ n: 1, outcome: 'resuming' })).rejects.toBeInstanceOf(DatabaseResumingError);
      await expect(call({ n: 1, outcome: 'crash' })).rejects.toThrow(
        new InvokedFunctionError('inside failed (Unhandled): Error: connect ECONNREFUSED 10.0.0.9:5432'),
      );
      // An event the function does not accept is a failure of the caller, not a 400 for its client.
      await expect(call({ n: 'x', outcome: 'double' })).rejects.toThrow(
        new InvokedFunctionError('inside failed (Unhandled): ValidationError: Invalid invocation event'),
      );
      await expect(call({ n: 1, outcome: 'double' }, z.object({ tasks: z.int() }))).rejects.toThrow(
        InvokedFunctionError,
      );
    } finally {
      client.destroy();
      await invocable.stop();
    }
  });
});
