/** HTTP load through the local gateway (autocannon) and its one row of figures, for every bench that loads an API. */
import autocannon from 'autocannon';
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
  /** Requests per second for all connections together (autocannon's overallRate); unbounded if absent. */
  overallRate?: number;
  /** A path per request (each vote to another video, say); the URL's own path otherwise. */
  path?: () => string;
}

/** Runs one load and measures it: every response's latency, autocannon's totals. */
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
        ...(options.overallRate === undefined ? {} : { overallRate: options.overallRate }),
        ...(path === undefined
          ? {}
          : { requests: [{ setupRequest: (request) => ({ ...request, path: path() }) }] }),
      },
      (error, finished) => {
        if (error) fail(error instanceof Error ? error : new Error(String(error)));
        else done(finished);
      },
    );
    instance.on('response', (_client, _status, _bytes, responseTime) => latencies.push(responseTime));
  });
  return {
    endpoint,
    connections: options.connections,
    requests: result.requests.total,
    requestsPerSecond: round(result.requests.total / result.duration, 0),
    p50Ms: round(percentile(latencies, 50), 1),
    p95Ms: round(percentile(latencies, 95), 1),
    p99Ms: round(percentile(latencies, 99), 1),
    non2xx: result.non2xx,
    errors: result.errors + result.timeouts,
  };
}
