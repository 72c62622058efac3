/** HTTP load through the local gateway (autocannon) and its one row of figures, for every bench that loads an API. */
import autocannon from 'autocannon';
import { DEFAULT_STAGE_THROTTLE, routes } from '#functions/routes';
import { percentile, round } from './stats';

/** Seconds each load run lasts unless a fixed number of requests is asked for. */
const LOAD_SECONDS = 5;

export interface LoadRow<Endpoint extends string = string> {
  endpoint: Endpoint;
  connections: number;
  requests: number;
  requestsPerSecond: number;
  p50Ms: number;
  p95Ms: number;
  p99Ms: number;
  non2xx: number;
  errors: number;
}

export interface LoadOptions {
  method: 'GET' | 'POST';
  token?: string;
  /** A JSON body, sent with its content type. */
  body?: string;
  connections: number;
  /** A fixed number of requests instead of LOAD_SECONDS of them. */
  amount?: number;
  /** Requests per second for all connections together (autocannon's overallRate): `paceFor` the route. */
  overallRate: number;
  /** A path per request (each vote to another video, say); the URL's own path otherwise. */
  path?: () => string;
}

/**
 * 80 % of what the gateway lets through on this route (its own throttle, else the stage's), all callers together:
 * flat out, a bench would time the gateway's 429s (answered in 0.1 ms) instead of the route.
 */
export function paceFor(routeName: string): number {
  const route = routes.find((candidate) => candidate.name === routeName);
  if (route === undefined) throw new Error(`No route ${routeName} in functions/routes.ts`);
  const throttle = 'throttle' in route ? route.throttle : DEFAULT_STAGE_THROTTLE;
  return Math.floor((throttle.rateLimit * 4) / 5);
}

/**
 * Runs one load and measures it: the latency of every 2xx answer (a refusal is counted in `non2xx`, never timed as
 * if it were the route's answer), autocannon's totals.
 */
export async function measureLoad<Endpoint extends string>(
  endpoint: Endpoint,
  url: string,
  options: LoadOptions,
): Promise<LoadRow<Endpoint>> {
  const latencies: number[] = [];
  const { path } = options;
  const result = await new Promise<autocannon.Result>((done, fail) => {
    const instance = autocannon(
      {
        url,
        method: options.method,
        headers: {
          ...(options.token === undefined ? {} : { authorization: `Bearer ${options.token}` }),
          ...(options.body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        body: options.body,
        connections: options.connections,
        ...(options.amount === undefined ? { duration: LOAD_SECONDS } : { amount: options.amount }),
        overallRate: options.overallRate,
        ...(path === undefined
          ? {}
          : { requests: [{ setupRequest: (request) => ({ ...request, path: path() }) }] }),
      },
      (error, finished) => {
        if (error) fail(error instanceof Error ? error : new Error(String(error)));
        else done(finished);
      },
    );
    instance.on('response', (_client, status, _bytes, responseTime) => {
      if (status >= 200 && status < 300) latencies.push(responseTime);
    });
  });
  return {
    endpoint,
    connections: options.connections,
    requests: result.requests.total,
    requestsPerSecond: round(result.requests.total / result.duration, 0),
    // No 2xx answer at all: no latency to report, and the row's non-2xx count fails its goal.
    p50Ms: latencies.length === 0 ? Number.NaN : round(percentile(latencies, 50), 1),
    p95Ms: latencies.length === 0 ? Number.NaN : round(percentile(latencies, 95), 1),
    p99Ms: latencies.length === 0 ? Number.NaN : round(percentile(latencies, 99), 1),
    non2xx: result.non2xx,
    errors: result.errors + result.timeouts,
  };
}
