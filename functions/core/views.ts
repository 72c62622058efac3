/**
 * Views of public videos (docs/spec.md §9, docs/infra.md "Views"). A play is reported by the console when a video
 * starts; the route outside the VPC only turns it into a message (no database write in the request's path), and the
 * queue's consumer inside the VPC counts each batch once per viewer per UTC day.
 *
 * The viewer is an HMAC-SHA256, under the stack's viewer key, of the day and either the caller's user id (a valid
 * token) or the client's address and user agent: the same viewer on the same day is one key on every instance, the
 * key differs from one day to the next, and no raw address, user agent or user id is ever stored or queued.
 */
import { createHmac } from 'node:crypto';
import type { Clock, PlayedView, ViewQueue, ViewRepository } from './ports';
import * as z from './zod';

/** Who played the video: a logged-in caller, or an anonymous client. */
export type Viewer = { sub: string } | { address: string; userAgent: string };

const DAY_MS = 86_400_000;

/** The UTC day of an instant, YYYY-MM-DD: the period within which one viewer's plays count once. */
export function utcDay(at: Date): string {
  return at.toISOString().slice(0, 10);
}

/** The viewer's key of one day (64 hex digits). Fields are NUL-separated so no two inputs share a message. */
export function viewerKey(secret: string, viewer: Viewer, day: string): string {
  const identity = 'sub' in viewer ? ['user', viewer.sub] : ['client', viewer.address, viewer.userAgent];
  return createHmac('sha256', secret)
    .update([day, ...identity].join('\0'))
    .digest('hex');
}

/** The message the route sends and the consumer reads: a contract of the two, kept here only. */
export const playedViewMessage = z.strictObject({
  taskId: z.int().check(z.positive()),
  day: z.iso.date(),
  viewer: z.string().check(z.regex(/^[0-9a-f]{64}$/)),
});

/** The route's half: one message per reported play, whatever the video (the consumer decides what counts). */
export class ViewReporter {
  constructor(private readonly deps: { queue: ViewQueue; clock: Clock; viewerSecret: string }) {}

  async report(taskId: number, viewer: Viewer): Promise<void> {
    const day = utcDay(this.deps.clock.now());
    await this.deps.queue.send({ taskId, day, viewer: viewerKey(this.deps.viewerSecret, viewer, day) });
  }
}

export interface CountReport {
  /** Messages that were well-formed and recent enough to be looked at. */
  received: number;
  /** Views counted: new (video, day, viewer) rows of published videos. */
  counted: number;
  /** Messages dropped: malformed, or of a day whose dedup rows may already be pruned. */
  dropped: number;
  /** Dedup rows of past days deleted. */
  pruned: number;
}

/**
 * The consumer's half. Dedup rows are kept for today and yesterday (a message sent just before midnight may be
 * consumed after it); a message of an older day is dropped, since its rows may be pruned and counting it again
 * would count a viewer twice (a redriven dead letter, for example).
 */
export class ViewCounter {
  constructor(private readonly deps: { repository: ViewRepository; clock: Clock }) {}

  async count(bodies: readonly string[]): Promise<CountReport> {
    const oldestDay = utcDay(new Date(this.deps.clock.now().getTime() - DAY_MS));
    const views: PlayedView[] = [];
    for (const body of bodies) {
      const view = parseMessage(body);
      if (view !== undefined && view.day >= oldestDay) views.push(view);
    }
    const counted = views.length === 0 ? 0 : await this.deps.repository.record(views);
    const pruned = await this.deps.repository.pruneBefore(oldestDay);
    return { received: views.length, counted, dropped: bodies.length - views.length, pruned };
  }
}

function parseMessage(body: string): PlayedView | undefined {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    return undefined;
  }
  const parsed = playedViewMessage.safeParse(json);
  return parsed.success ? parsed.data : undefined;
}
