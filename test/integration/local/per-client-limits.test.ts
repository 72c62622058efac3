import { request as httpRequest } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Gateway, type GatewayRoute, startGateway } from '#infra/local/gateway';
import { freePort } from '#infra/local/services/preflight';
import { PER_CLIENT_REFUSAL_MESSAGE, type RouteDefinition, perClientRules, routes } from '#functions/routes';

/**
 * Two clients on one machine: the whole of 127.0.0.0/8 is loopback, so a socket bound to 127.0.0.2 reaches the
 * gateway on 127.0.0.1 with its own remote address — the address the gateway counts, which no header can change.
 */
const CLIENT = '127.0.0.2';
const OTHER_CLIENT = '127.0.0.3';
/** The clock moves this much per request: the routes' own token buckets refill in between and never interfere. */
const STEP_MS = 200;

let now = 1_000_000;
let gateway: Gateway;

interface Answer {
  status: number;
  retryAfter: string | undefined;
  body: string;
}

function send(routeKey: string, from: string, headers: Record<string, string> = {}): Promise<Answer> {
  const [method = 'GET', path = '/'] = routeKey.split(' ');
  const { port } = new URL(gateway.url);
  return new Promise((resolve, reject) => {
    const request = httpRequest(
      {
        host: '127.0.0.1',
        port,
        localAddress: from,
        method,
        path: path.replace('{id}', '7'),
        headers: { host: `localhost:${port}`, authorization: 'Bearer good', ...headers },
      },
      (response) => {
        let body = '';
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => (body += chunk));
        response.on('end', () => {
          const retryAfter = response.headers['retry-after'];
          resolve({ status: response.statusCode ?? 0, retryAfter, body });
        });
      },
    );
    request.on('error', reject);
    // A body only where the route takes one (a withdrawal is a bare DELETE, as the console sends it).
    request.end(method === 'POST' ? '{}' : undefined);
  });
}

/** The route table's definition of a route key: every rule names routes of the table. */
function definitionOf(routeKey: string): RouteDefinition {
  const [method = '', path = ''] = routeKey.split(' ');
  const defined = (routes as readonly RouteDefinition[]).find(
    (route) => route.method === method && route.path === path,
  );
  if (defined === undefined)
    throw new Error(`A per-client rule names ${routeKey}, which is not in the route table`);
  return defined;
}

const ruleRoutes = perClientRules.flatMap((rule) => rule.routes.map(definitionOf));

beforeAll(async () => {
  gateway = await startGateway({
    port: await freePort(),
    region: 'us-east-1',
    // Stand-in functions and authorizer: what is under test is the gateway in front of them.
    routes: ruleRoutes.map((definition): GatewayRoute => ({
      definition,
      handler: () => Promise.resolve({ statusCode: 204 }),
    })),
    authorizer: (event) => Promise.resolve({ isAuthorized: event.headers?.authorization === 'Bearer good' }),
    corsOrigins: [],
    functionTimeoutSeconds: 5,
    onError: () => undefined,
    perClientRules,
    now: () => now,
  });
});

afterAll(async () => {
  await gateway.stop();
});

describe('the local gateway’s per-client limits (WAF’s stand-in)', () => {
  it('applies every rule of functions/routes.ts (each names routes of the route table, or this file fails to load)', () => {
    expect(perClientRules.map((rule) => rule.name)).toEqual([
      'signup',
      'login',
      'password-reset',
      'email-verification',
      'voting',
    ]);
  });

  it.each(perClientRules.map((rule) => [rule.name, rule] as const))(
    '%s: one client gets 429 with Retry-After past the limit while another still passes',
    async (_name, rule) => {
      // Prepare: the rule's routes in turn, so a rule of two routes counts them together.
      const routeAt = (index: number): string => rule.routes[index % rule.routes.length] ?? '';
      const started = now;

      // Act
      const allowed: number[] = [];
      for (let index = 0; index < rule.limit; index += 1) {
        allowed.push((await send(routeAt(index), CLIENT)).status);
        now += STEP_MS;
      }
      // A header a web page or a script could send does not make it another client.
      const refused = await send(routeAt(rule.limit), CLIENT, { 'x-forwarded-for': '203.0.113.9' });
      const other = await send(routeAt(rule.limit), OTHER_CLIENT);
      now = started + rule.windowSeconds * 1000; // the first counted request leaves the window: one more passes
      const afterWindow = [(await send(routeAt(0), CLIENT)).status, (await send(routeAt(1), CLIENT)).status];
      now += rule.windowSeconds * 1000; // leave the clock past this rule's counts for the next test

      // Assess
      expect(allowed).toEqual(Array<number>(rule.limit).fill(204));
      expect(refused).toEqual({
        status: 429,
        retryAfter: String(Math.ceil((rule.windowSeconds * 1000 - rule.limit * STEP_MS) / 1000)),
        body: JSON.stringify({ message: PER_CLIENT_REFUSAL_MESSAGE }),
      });
      expect(other.status).toBe(204);
      expect(afterWindow).toEqual([204, 429]);
    },
  );

  it('counts each rule on its own: a client refused signups may still log in', async () => {
    // Prepare
    const signup = perClientRules.find((rule) => rule.name === 'signup');
    for (let index = 0; index < (signup?.limit ?? 0); index += 1) await send('POST /api/auth/signup', CLIENT);

    // Act
    const refused = await send('POST /api/auth/signup', CLIENT);
    const login = await send('POST /api/auth/login', CLIENT);

    // Assess
    expect([refused.status, refused.retryAfter !== undefined, login.status]).toEqual([429, true, 204]);
  });
});
