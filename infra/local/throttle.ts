/**
 * API Gateway's throttling of one route, as a token bucket: `burstLimit` requests at once, refilled
 * at `rateLimit` per second. The local gateway keeps one per route with the route table's numbers,
 * so the limits can be tested where they are defined.
 */
import type { RouteThrottle } from '#functions/routes';

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
