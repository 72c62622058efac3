/**
 * API Gateway's throttling of one route, as a token bucket: `burstLimit` requests at once, refilled
 * at `rateLimit` per second. The local gateway keeps one per route with the route table's numbers,
 * so the limits can be tested where they are defined.
 */
import type { PerClientRule, RouteThrottle } from '#functions/routes';

export class TokenBucket {
  private tokens: number;
  private updatedAt: number;

  constructor(
    private readonly limits: RouteThrottle,
    private readonly now: () => number = Date.now,
  ) {
    this.tokens = limits.burstLimit;
    this.updatedAt = now();
  }

  /** Takes one token if there is one: false means the request is throttled. */
  take(): boolean {
    const now = this.now();
    const refilled = ((now - this.updatedAt) / 1000) * this.limits.rateLimit;
    this.tokens = Math.min(this.limits.burstLimit, this.tokens + refilled);
    this.updatedAt = now;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }
}

/** Clients remembered before the ones with nothing left in their window are forgotten. */
const SWEEP_ABOVE_CLIENTS = 10_000;

/**
 * One per-client rule (functions/routes.ts, `perClientRules`) in the local gateway, WAF's stand-in: each client
 * address may send `limit` requests in any `windowSeconds` (a sliding window, as WAF looks back from the moment it
 * checks). A refused request is not counted, so the wait it is told is exact: when its oldest counted request
 * leaves the window.
 */
export class PerClientWindow {
  /** Each client's counted requests, oldest first (milliseconds). */
  private readonly requests = new Map<string, number[]>();

  constructor(
    private readonly rule: Pick<PerClientRule, 'limit' | 'windowSeconds'>,
    private readonly now: () => number = Date.now,
  ) {}

  /** Counts a request of `client` if the rule allows it: undefined, else the seconds to wait (`Retry-After`). */
  take(client: string): number | undefined {
    const now = this.now();
    const windowMs = this.rule.windowSeconds * 1000;
    const counted = (this.requests.get(client) ?? []).filter((at) => at > now - windowMs);
    this.requests.set(client, counted);
    const oldest = counted[0];
    if (oldest !== undefined && counted.length >= this.rule.limit)
      return Math.max(1, Math.ceil((oldest + windowMs - now) / 1000));
    counted.push(now);
    if (this.requests.size > SWEEP_ABOVE_CLIENTS) this.forgetIdle(now - windowMs);
    return undefined;
  }

  /** A long-running stack meets many addresses: keep only those with a request still in the window. */
  private forgetIdle(since: number): void {
    for (const [client, counted] of this.requests)
      if ((counted.at(-1) ?? since) <= since) this.requests.delete(client);
  }
}
