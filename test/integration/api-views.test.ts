/**
 * Views of public videos (docs/spec.md §9): a play counted once per viewer per UTC day, through the route's half
 * (ViewReporter, with the messages it would queue), the consumer's half (ViewCounter over PostgreSQL) and the public
 * answers that show the count. The route and the queue themselves run in test/e2e/gallery-journey.test.ts.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { handler as getPublicVideo } from '#functions/api/get-public-video';
import { handler as listPublicVideos } from '#functions/api/list-public-videos';
import { handler as getPilot } from '#functions/api/get-pilot';
import { PgViewRepository } from '#adapters/pg/view-repository';
import { createPool, databasePool } from '#commons/clients';
import { databaseConfig } from '#commons/config';
import { getTaskRepository } from '#commons/composition-root';
import type { Clock, PlayedView } from '#core/ports';
import type { PilotPageResponse, PublicVideoListResponse, PublicVideoResponse } from '#core/schemas';
import type { Caller } from '#core/task';
import { ViewCounter, ViewReporter, type Viewer, viewerKey } from '#core/views';
import type { ApiHandler } from '#commons/http';
import { invoke } from '#test/helpers/api-gateway';
import { type AwsEndpoint, recordingQueue, startAwsEndpoint } from '#test/helpers/aws-endpoint';
import { INVALID_REQUEST } from '#test/helpers/contract';
import { cognitoLocalKey, foreignKey, signJwt } from '#test/helpers/tokens';
import { patchTask } from '#test/helpers/gallery-requests';
import { publishedTask } from '#test/helpers/tasks';

const SECRET = 'test-viewer-key-secret';

function newCaller(): Caller {
  return { sub: randomUUID(), username: `pilot_${randomUUID().slice(0, 8)}` };
}

/** A clock the test moves: days pass without waiting. */
function testClock(start: string): Clock & { set(at: string): void } {
  let now = new Date(start);
  return {
    now: () => now,
    set: (at) => {
      now = new Date(at);
    },
  };
}

/** The route's half and the consumer's half, joined by the message bodies the route would queue. */
function views(clock: Clock) {
  const queued: string[] = [];
  const reporter = new ViewReporter({
    queue: {
      send: (view: PlayedView) => {
        queued.push(JSON.stringify(view));
        return Promise.resolve();
      },
    },
    clock,
    viewerSecret: SECRET,
  });
  const counter = new ViewCounter({ repository: new PgViewRepository(databasePool()), clock });
  return {
    queued,
    play: (taskId: number, viewer: Viewer) => reporter.report(taskId, viewer),
    /** Delivers everything queued so far as one batch. */
    deliver: async () => counter.count(queued.splice(0)),
    counter,
  };
}

/** Three consumer instances, each with its own connection (pool size 1, as on Lambda): their batches really race. */
const instancePools = Array.from({ length: 3 }, () => createPool(databaseConfig()));
afterAll(async () => {
  await Promise.all(instancePools.map((pool) => pool.end()));
});

const anonymous = (address: string): Viewer => ({ address, userAgent: 'Mozilla/5.0 (X11; Linux x86_64)' });

async function viewsOf(id: number): Promise<number> {
  const response = await invoke(getPublicVideo, {
    method: 'GET',
    route: '/api/public/videos/{id}',
    pathParameters: { id: String(id) },
  });
  return (response.body as PublicVideoResponse).views;
}

describe('views (docs/spec.md §9)', () => {
  it('counts a play once per viewer per day, and two viewers as two', async () => {
    // Prepare
    const task = await publishedTask(getTaskRepository(), newCaller());
    const clock = testClock('2026-03-01T09:00:00Z');
    const { play, deliver } = views(clock);
    expect(await viewsOf(task.id)).toBe(0);

    // Act
    await play(task.id, anonymous('198.51.100.7'));
    await play(task.id, anonymous('198.51.100.7'));
    const first = await deliver();
    clock.set('2026-03-01T23:59:00Z');
    await play(task.id, anonymous('198.51.100.7'));
    await play(task.id, anonymous('198.51.100.8'));
    const second = await deliver();

    // Assess
    expect(first).toMatchObject({ received: 2, counted: 1, dropped: 0 });
    expect(second).toMatchObject({ received: 2, counted: 1, dropped: 0 });
    expect(await viewsOf(task.id)).toBe(2);
  });

  it('tells anonymous viewers apart by user agent too, and a logged-in viewer by account on every device', async () => {
    // Prepare
    const task = await publishedTask(getTaskRepository(), newCaller());
    const { play, deliver } = views(testClock('2026-03-02T10:00:00Z'));
    const fan = newCaller();

    // Act
    await play(task.id, { address: '203.0.113.5', userAgent: 'Firefox' });
    await play(task.id, { address: '203.0.113.5', userAgent: 'Safari' });
    await play(task.id, { sub: fan.sub });
    await play(task.id, { sub: fan.sub });
    const report = await deliver();

    // Assess
    expect(report.counted).toBe(3);
    expect(await viewsOf(task.id)).toBe(3);
  });

  it('counts the same viewer again on the next day', async () => {
    // Prepare
    const task = await publishedTask(getTaskRepository(), newCaller());
    const clock = testClock('2026-03-03T22:00:00Z');
    const { play, deliver } = views(clock);
    const viewer = anonymous('192.0.2.44');
    await play(task.id, viewer);
    await deliver();

    // Act
    clock.set('2026-03-04T00:00:01Z');
    await play(task.id, viewer);
    await deliver();
    await play(task.id, viewer);
    await deliver();

    // Assess
    expect(await viewsOf(task.id)).toBe(2);
  });

  it('queues no raw address, user agent or user id: the viewer key differs per day', async () => {
    // Prepare
    const clock = testClock('2026-03-05T12:00:00Z');
    const { play, queued } = views(clock);
    const fan = newCaller();

    // Act
    await play(7, anonymous('198.51.100.99'));
    await play(7, { sub: fan.sub });
    clock.set('2026-03-06T12:00:00Z');
    await play(7, anonymous('198.51.100.99'));

    // Assess
    const messages = queued.map((body) => JSON.parse(body) as PlayedView);
    expect(messages.map((message) => message.day)).toEqual(['2026-03-05', '2026-03-05', '2026-03-06']);
    for (const message of messages) expect(message.viewer).toMatch(/^[0-9a-f]{64}$/);
    expect(new Set(messages.map((message) => message.viewer)).size).toBe(3);
    expect(queued.join('\n')).not.toMatch(/198\.51\.100\.99|Mozilla|Linux/);
    expect(queued.join('\n')).not.toContain(fan.sub);
  });

  it('counts nothing for an unpublished or missing video, and counts again once it is published', async () => {
    // Prepare
    const owner = newCaller();
    const task = await publishedTask(getTaskRepository(), owner);
    const { play, deliver } = views(testClock('2026-03-07T08:00:00Z'));
    await patchTask(owner, task.id, { public: false });

    // Act
    await play(task.id, anonymous('198.51.100.1'));
    await play(9_000_000_000, anonymous('198.51.100.1'));
    const hidden = await deliver();
    await patchTask(owner, task.id, { public: true });
    await play(task.id, anonymous('198.51.100.1'));
    const published = await deliver();

    // Assess
    expect(hidden).toMatchObject({ received: 2, counted: 0 });
    expect(published).toMatchObject({ received: 1, counted: 1 });
    expect(await viewsOf(task.id)).toBe(1);
  });

  it('counts a batch full of duplicates exactly, also when the same batch is delivered three times at once', async () => {
    // Prepare: 40 plays of 8 viewers over two videos; the batch arrives three times at once (SQS redeliveries).
    const owner = newCaller();
    const a = await publishedTask(getTaskRepository(), owner);
    const b = await publishedTask(getTaskRepository(), owner);
    const clock = testClock('2026-03-08T15:00:00Z');
    const { play, queued } = views(clock);
    const instances = instancePools.map(
      (pool) => new ViewCounter({ repository: new PgViewRepository(pool), clock }),
    );
    for (let round = 0; round < 5; round += 1)
      for (let viewer = 0; viewer < 4; viewer += 1) {
        await play(a.id, anonymous(`10.0.0.${viewer}`));
        await play(b.id, anonymous(`10.0.1.${viewer}`));
      }
    const batch = queued.splice(0);

    // Act
    const reports = await Promise.all(instances.map((instance) => instance.count(batch)));

    // Assess
    expect(reports.reduce((sum, report) => sum + report.counted, 0)).toBe(8);
    expect([await viewsOf(a.id), await viewsOf(b.id)]).toEqual([4, 4]);
  });

  it('drops malformed messages and plays of days already pruned, and prunes the days before yesterday', async () => {
    // Prepare
    const task = await publishedTask(getTaskRepository(), newCaller());
    const clock = testClock('2026-03-10T12:00:00Z');
    const { play, deliver, counter } = views(clock);
    await play(task.id, anonymous('198.51.100.50'));
    await deliver();
    const late = JSON.stringify({ taskId: task.id, day: '2026-03-10', viewer: 'a'.repeat(64) });

    // Act: two days later the rows of the 10th are gone, so a message of that day must not count again.
    clock.set('2026-03-12T12:00:00Z');
    const report = await counter.count([late, 'not json', JSON.stringify({ taskId: task.id })]);
    const remaining = await databasePool().query<{ day: string }>(
      "SELECT to_char(day, 'YYYY-MM-DD') AS day FROM video_views WHERE task_id = $1 ORDER BY day",
      [task.id],
    );

    // Assess
    expect(report).toMatchObject({ received: 0, counted: 0, dropped: 3 });
    expect(report.pruned).toBeGreaterThanOrEqual(1);
    expect(remaining.rows).toEqual([]);
    expect(await viewsOf(task.id)).toBe(1);
  });

  it('shows the count in the gallery list and on the pilot page', async () => {
    // Prepare
    const owner = newCaller();
    const task = await publishedTask(getTaskRepository(), owner);
    const { play, deliver } = views(testClock('2026-03-13T12:00:00Z'));
    await play(task.id, anonymous('198.51.100.60'));
    await play(task.id, anonymous('198.51.100.61'));
    await deliver();

    // Act
    const list = await invoke(listPublicVideos, {
      method: 'GET',
      route: '/api/public/videos',
      query: { max: '100' },
    });
    const pilot = await invoke(getPilot, {
      method: 'GET',
      route: '/api/public/pilots/{username}',
      pathParameters: { username: owner.username },
    });

    // Assess
    expect((list.body as PublicVideoListResponse).data.find((video) => video.id === task.id)?.views).toBe(2);
    expect((pilot.body as PilotPageResponse).videos.data).toMatchObject([{ id: task.id, views: 2 }]);
  });
});

describe('POST /api/public/videos/{id}/views', () => {
  const queue = recordingQueue(`views-${process.pid}`, 'us-east-1');
  let endpoint: AwsEndpoint;
  let recordView: ApiHandler;

  beforeAll(async () => {
    // The local stack's SQS surface on a gateway of the test's own; the route module reads its settings at import.
    endpoint = await startAwsEndpoint({ queue, region: 'us-east-1' });
    process.env.VIEW_QUEUE_URL = process.env.UPLOAD_QUEUE_URL;
    process.env.VIEWER_KEY_SECRET = SECRET;
    ({ handler: recordView } = await import('#functions/api/record-view'));
  });
  afterAll(async () => {
    await endpoint.stop();
    delete process.env.VIEW_QUEUE_URL;
    delete process.env.VIEWER_KEY_SECRET;
  });

  const report = (id: string, headers: Record<string, string> = {}) =>
    invoke(recordView, {
      method: 'POST',
      route: '/api/public/videos/{id}/views',
      pathParameters: { id },
      headers: { 'user-agent': 'Firefox/140', ...headers },
      // One client: the anonymous viewer's key is made of its address.
      sourceIp: '127.0.0.1',
    });
  const accessToken = (sub: string, key = cognitoLocalKey) => {
    const now = Math.floor(Date.now() / 1000);
    return signJwt(
      {
        sub,
        username: `fan_${sub.slice(0, 8)}`,
        token_use: 'access',
        client_id: process.env.USER_POOL_CLIENT_ID,
        iss: process.env.JWT_ISSUER,
        iat: now,
        exp: now + 600,
      },
      key,
    );
  };

  it('answers 202 with no body for any well-formed id, queuing only the video, the day and the viewer key', async () => {
    // Prepare
    const fan = randomUUID();
    queue.bodies.length = 0;

    // Act: an anonymous play, a logged-in one, one with a forged token (anonymous), and an id nobody has.
    const responses = [
      await report('42'),
      await report('42', { authorization: `Bearer ${accessToken(fan)}` }),
      await report('42', { authorization: `Bearer ${accessToken(fan, foreignKey())}` }),
      await report('9000000000'),
    ];

    // Assess
    expect(responses.map((response) => [response.statusCode, response.body])).toEqual([
      [202, undefined],
      [202, undefined],
      [202, undefined],
      [202, undefined],
    ]);
    const messages = queue.bodies.map((body) => JSON.parse(body) as PlayedView);
    const day = messages[0]?.day ?? '';
    const anonymousKey = viewerKey(SECRET, { address: '127.0.0.1', userAgent: 'Firefox/140' }, day);
    expect(messages).toEqual([
      { taskId: 42, day, viewer: anonymousKey },
      { taskId: 42, day, viewer: viewerKey(SECRET, { sub: fan }, day) },
      { taskId: 42, day, viewer: anonymousKey },
      { taskId: 9_000_000_000, day, viewer: anonymousKey },
    ]);
    expect(queue.bodies.join('\n')).not.toMatch(/127\.0\.0\.1|Firefox/);
  });

  it('refuses an id that is not a positive integer with 400 and queues nothing', async () => {
    // Prepare
    queue.bodies.length = 0;

    // Act
    const response = await invoke(
      recordView,
      { method: 'POST', route: '/api/public/videos/{id}/views', pathParameters: { id: '0' } },
      INVALID_REQUEST,
    );

    // Assess
    expect(response.statusCode).toBe(400);
    expect(queue.bodies).toEqual([]);
  });
});
