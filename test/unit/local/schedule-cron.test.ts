import { describe, expect, it } from 'vitest';
import { scheduleCron } from '#infra/local/derive';

describe("a template schedule's local cron", () => {
  it('turns rate expressions into the cron that fires at the same interval', () => {
    expect(
      [
        'rate(1 minute)',
        'rate(5 minutes)',
        'rate(1 hour)',
        'rate(6 hours)',
        'rate(1 day)',
        'rate(2 days)',
      ].map(scheduleCron),
    ).toEqual(['* * * * *', '*/5 * * * *', '0 * * * *', '0 */6 * * *', '0 0 * * *', '0 0 */2 * *']);
  });

  it("drops EventBridge's year field and its ? wildcard", () => {
    expect(scheduleCron('cron(15 3 ? * MON-FRI *)')).toBe('15 3 * * MON-FRI');
  });

  it('refuses an expression it cannot run', () => {
    expect(() => scheduleCron('at(2026-12-24T18:00:00)')).toThrow(/not supported locally/);
  });
});
