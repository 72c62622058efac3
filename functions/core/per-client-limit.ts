/**
 * A per-client limit the API enforces itself (docs/infra.md, "Without WAF: the API's own count"): at most
 * `limit` requests per client address in each `windowSeconds` window, counted in a shared store so every
 * execution environment sees the same count. Windows are fixed (aligned to the epoch): one counter per client,
 * rule and window, incremented by one conditional statement. Unlike WAF's trailing window, a client can spend
 * one window's budget at its end and the next one's at its start (at most twice the limit within a few
 * seconds, never more per window).
 */
import { createHmac } from 'node:crypto';
import { TooManyRequestsError } from '#core/errors';
import type { Clock } from '#core/ports';

/** The shared counts (PostgreSQL: functions/adapters/pg/client-request-counter.ts). */
export interface ClientRequestCounter {
  /**
   * Counts one request of `client` under `rule` in the window starting at `windowStart`, unless it already has
   * `limit`: the count with this request, or null when refused (a refused request is not counted). Atomic.
   */
  take(request: { rule: string; client: Buffer; windowStart: Date; limit: number }): Promise<number | null>;
  /** Forgets the windows of `rule` that started before `before`: they are over. */
  prune(rule: string, before: Date): Promise<void>;
}

export interface PerClientLimitRule {
  name: string;
  limit: number;
  windowSeconds: number;
}

export interface PerClientLimitDependencies {
  rule: PerClientLimitRule;
  counter: ClientRequestCounter;
  clock: Clock;
  /**
   * The key of the addresses' HMAC: the store holds no IP address, and a leaked table cannot be reversed by
   * hashing the 2^32 IPv4 addresses without it.
   */
  key: string;
  /** The refusal's message (the same as the gateway's and WAF's). */
  message: string;
}

export class PerClientLimit {
  constructor(private readonly deps: PerClientLimitDependencies) {}

  /** Counts one request from `address`; throws TooManyRequestsError (with Retry-After) beyond the limit. */
  async take(address: string): Promise<void> {
    const { rule, counter, clock } = this.deps;
    const windowMs = rule.windowSeconds * 1000;
    const now = clock.now().getTime();
    const windowStart = new Date(now - (now % windowMs));
    const client = createHmac('sha256', this.deps.key).update(address).digest();
    const count = await counter.take({ rule: rule.name, client, windowStart, limit: rule.limit });
    // A client's first request in a window forgets every client's earlier windows (fixed windows: they are
    // over). Each stale row is deleted once, the table holds about one window of clients, and no schedule is
    // needed.
    if (count === 1) await counter.prune(rule.name, windowStart);
    if (count !== null) return;
    throw new TooManyRequestsError(this.deps.message, {
      retryAfterSeconds: Math.ceil((windowStart.getTime() + windowMs - now) / 1000),
    });
  }
}
