import { describe, expect, it } from 'vitest';
import { shutdownHandler } from '#infra/local/shutdown';

function harness() {
  let clock = 0;
  let finishStop: () => void = () => undefined;
  const exits: number[] = [];
  const lines: string[] = [];
  let stops = 0;
  const handler = shutdownHandler({
    stop: () => {
      stops += 1;
      return new Promise<void>((resolve) => (finishStop = resolve));
    },
    log: (line) => lines.push(line),
    exit: (code) => exits.push(code),
    now: () => clock,
  });
  return {
    handler,
    exits,
    lines,
    stops: () => stops,
    advance: (ms: number) => (clock += ms),
    finishStop: () => {
      finishStop();
    },
  };
}

describe('npm start stop signals', () => {
  it('takes the copies npm and tsx relay of one Ctrl-C as that one Ctrl-C, and waits for the stop', async () => {
    const h = harness();
    h.handler('SIGINT');
    h.advance(3);
    h.handler('SIGINT');
    h.advance(2);
    h.handler('SIGINT');
    expect(h.stops()).toBe(1);
    expect(h.exits).toEqual([]);
    h.finishStop();
    await Promise.resolve();
    await Promise.resolve();
    expect(h.exits).toEqual([0]);
    expect(h.lines.at(-1)).toBe('stopped.');
  });

  it("exits at once on a person's second Ctrl-C", () => {
    const h = harness();
    h.handler('SIGINT');
    h.advance(1_500);
    h.handler('SIGINT');
    expect(h.exits).toEqual([1]);
    expect(h.lines.at(-1)).toBe('SIGINT again: exiting without waiting.');
    expect(h.stops()).toBe(1);
  });
});
