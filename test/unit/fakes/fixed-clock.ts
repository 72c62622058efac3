import type { Clock } from '#core/ports';

/** A clock tests move by hand. */
export class FixedClock implements Clock {
  constructor(private current = new Date('2026-03-01T12:00:00.000Z')) {}

  now(): Date {
    return new Date(this.current);
  }

  advance(ms: number): void {
    this.current = new Date(this.current.getTime() + ms);
  }
}
