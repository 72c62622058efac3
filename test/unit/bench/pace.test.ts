/**
 * The benches' pace (test/bench/load.ts `paceFor`): below what the gateway lets through on each route, so every
 * answer a bench times is the route's, not a throttle's 429.
 */
import { describe, expect, it } from 'vitest';
import { DEFAULT_STAGE_THROTTLE, routes } from '#functions/routes';
import { paceFor } from '#test/bench/load';

describe('the benches’ pace per route', () => {
  it('is 80 % of the route’s own throttle, else of the stage’s', () => {
    const vote = routes.find((route) => route.name === 'vote');
    if (vote === undefined || !('throttle' in vote)) throw new Error('the vote route has its own throttle');

    expect(paceFor('vote')).toBe(Math.floor(vote.throttle.rateLimit * 0.8));
    expect(paceFor('vote')).toBeLessThan(vote.throttle.rateLimit);
    expect(paceFor('rankings')).toBe(Math.floor(DEFAULT_STAGE_THROTTLE.rateLimit * 0.8));
  });

  it('refuses a route the table does not have', () => {
    expect(() => paceFor('no-such-route')).toThrow('No route no-such-route in functions/routes.ts');
  });
});
