import { randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { handler as adminReports } from '#functions/api/admin-reports';
import { handler as annulVotes } from '#functions/api/annul-votes';
import { handler as auditLog } from '#functions/api/audit-log';
import { handler as getPilot } from '#functions/api/get-pilot';
import { handler as getPublicVideo } from '#functions/api/get-public-video';
import { handler as getTask } from '#functions/api/get-task';
import { handler as hideVideo } from '#functions/api/hide-video';
import { handler as listPublicVideos } from '#functions/api/list-public-videos';
import { handler as login } from '#functions/api/login';
import { handler as rankings } from '#functions/api/rankings';
import { handler as refresh } from '#functions/api/refresh';
import { handler as reportVideo } from '#functions/api/report-video';
import { handler as restoreVideo } from '#functions/api/restore-video';
import { databasePool } from '#commons/clients';
import { getTaskRepository } from '#commons/composition-root';
import type { ApiHandler } from '#commons/http';
import type {
  AdminReportsResponse,
  AuditResponse,
  PilotPageResponse,
  PublicVideoListResponse,
  RankingsResponse,
  TaskResponse,
} from '#core/schemas';
import type { Caller, Task } from '#core/task';
import { routes } from '#functions/routes';
import { signedUpPilot, TEST_PASSWORD } from '#test/helpers/accounts';
import { invoke } from '#test/helpers/api-gateway';
import { anyString } from '#test/helpers/matchers';
import { castVote } from '#test/helpers/gallery-requests';
import { publishedTask } from '#test/helpers/tasks';
import { verifiedInDatabase } from '#test/helpers/verified-email';

const ADMIN_ROUTES = routes.filter((route) => 'admin' in route);

// Suspend and reinstate reach their in-VPC half through the Lambda API, as on AWS: the integration setup's Lambda
// gateway answers it (test/support/integration-env.ts).
let suspendPilot: ApiHandler;
let reinstatePilot: ApiHandler;

beforeAll(async () => {
  ({ handler: suspendPilot } = await import('#functions/api/suspend-pilot'));
  ({ handler: reinstatePilot } = await import('#functions/api/reinstate-pilot'));
});

function newCaller(prefix = 'pilot'): Caller {
  return { sub: randomUUID(), username: `${prefix}_${randomUUID().slice(0, 8)}` };
}

const video = (owner: Caller): Promise<Task> => publishedTask(getTaskRepository(), owner);

const report = (caller: Caller, id: number, body: unknown = { reason: 'spam' }) =>
  invoke(reportVideo, {
    method: 'POST',
    route: '/api/public/videos/{id}/reports',
    pathParameters: { id: String(id) },
    body,
    caller,
  });
const hide = (admin: Caller, id: number, reason = 'Not a race') =>
  invoke(hideVideo, {
    method: 'POST',
    route: '/api/admin/videos/{id}/hide',
    pathParameters: { id: String(id) },
    body: { reason },
    caller: admin,
    admin: true,
  });
const restore = (admin: Caller, id: number) =>
  invoke(restoreVideo, {
    method: 'POST',
    route: '/api/admin/videos/{id}/restore',
    pathParameters: { id: String(id) },
    caller: admin,
    admin: true,
  });
const publicVideo = (id: number) =>
  invoke(getPublicVideo, {
    method: 'GET',
    route: '/api/public/videos/{id}',
    pathParameters: { id: String(id) },
  });
const pilotPage = (username: string) =>
  invoke(getPilot, {
    method: 'GET',
    route: '/api/public/pilots/{username}',
    pathParameters: { username },
  });
const ownTask = (owner: Caller, id: number) =>
  invoke(getTask, {
    method: 'GET',
    route: '/api/tasks/{id}',
    pathParameters: { id: String(id) },
    caller: owner,
  });
const audit = (admin: Caller) =>
  invoke(auditLog, {
    method: 'GET',
    route: '/api/admin/audit',
    query: { max: '100' },
    caller: admin,
    admin: true,
  });

/** The pilot's row of the rankings (every page), or undefined when they are not ranked. */
async function rankingOf(username: string): Promise<RankingsResponse['data'][number] | undefined> {
  for (let offset = 0; ; offset += 100) {
    const response = await invoke(rankings, {
      method: 'GET',
      route: '/api/public/rankings',
      query: { limit: '100', offset: String(offset) },
    });
    const page = response.body as RankingsResponse;
    const row = page.data.find((entry) => entry.pilot.username === username);
    if (row !== undefined || offset + 100 >= page.total) return row;
  }
}

/** Whether the video is on any page of the public gallery (pages of 100, until it is found). */
async function inGallery(id: number): Promise<boolean> {
  for (let cursor: string | undefined, first = true; first || cursor !== undefined; first = false) {
    const page = (
      await invoke(listPublicVideos, {
        method: 'GET',
        route: '/api/public/videos',
        query: cursor === undefined ? { max: '100' } : { max: '100', cursor },
      })
    ).body as PublicVideoListResponse;
    if (page.data.some((entry) => entry.id === id)) return true;
    cursor = page.nextCursor;
  }
  return false;
}

/** The vote count of a task, and the sum its owner's standing holds, straight from the rows. */
async function countsOf(taskId: number): Promise<{ voteCount: number; rows: number }> {
  const { rows } = await databasePool().query<{ vote_count: number; rows: string }>(
    'SELECT vote_count, (SELECT count(*) FROM votes WHERE task_id = $1) AS rows FROM tasks WHERE id = $1',
    [taskId],
  );
  return { voteCount: rows[0]?.vote_count ?? -1, rows: Number(rows[0]?.rows ?? -1) };
}

describe('admin routes', () => {
  it.each(ADMIN_ROUTES.map((route) => [route.name, route] as const))(
    '%s answers 403 to a signed-in pilot who is not an admin, and 401 without a token',
    async (name, route) => {
      // Prepare
      const { handler } = (await import(`#functions/api/${name}`)) as { handler: ApiHandler };
      const input = {
        method: route.method,
        route: route.path,
        pathParameters: (route.path.includes('{id}')
          ? { id: '1' }
          : route.path.includes('{username}')
            ? { username: 'somebody' }
            : undefined) as Record<string, string> | undefined,
        // A valid body where the route takes one: the refusal must come from who asks, not what.
        body: route.method === 'GET' || name.startsWith('re') ? undefined : { reason: 'Because' },
      };

      // Act
      const pilot = await invoke(handler, { ...input, caller: newCaller() });
      const anonymous = await invoke(handler, input);

      // Assess
      expect(pilot).toMatchObject({
        statusCode: 403,
        body: { message: "Only the league's admins may do this" },
      });
      expect(anonymous).toMatchObject({ statusCode: 401, body: { message: 'Unauthorized' } });
    },
  );

  it('covers every route under /api/admin/ and nothing else', () => {
    expect(ADMIN_ROUTES.map((route) => route.path).every((path) => path.startsWith('/api/admin/'))).toBe(
      true,
    );
    expect(routes.filter((route) => route.path.startsWith('/api/admin/')).length).toBe(ADMIN_ROUTES.length);
  });
});

describe('POST /api/public/videos/{id}/reports', () => {
  it('records a verified pilot’s report once, and answers a second one 409', async () => {
    // Prepare
    const reporter = newCaller('reporter');
    await verifiedInDatabase(reporter);
    const { id } = await video(newCaller('owner'));

    // Act
    const first = await report(reporter, id, { reason: 'not-a-race', text: '  A cat video\nnot a race  ' });
    const second = await report(reporter, id, { reason: 'abuse' });

    // Assess
    expect(first).toMatchObject({
      statusCode: 201,
      body: { video: { id }, reason: 'not-a-race', createdAt: anyString },
    });
    expect(second).toMatchObject({
      statusCode: 409,
      body: { message: 'You have already reported this video' },
    });
  });

  it('tells a pilot without a verified email to verify it first', async () => {
    const { id } = await video(newCaller('owner'));
    const response = await report(newCaller('unverified'), id);
    expect(response).toMatchObject({
      statusCode: 403,
      body: { message: 'Verify your email address to report videos' },
    });
  });

  it('refuses the owner’s own video, an unpublished video and an unknown reason', async () => {
    // Prepare
    const owner = newCaller('owner');
    await verifiedInDatabase(owner);
    const { id } = await video(owner);
    const hidden = await publishedTask(getTaskRepository(), newCaller('owner'), { public: false });

    // Act / Assess
    expect(await report(owner, id)).toMatchObject({
      statusCode: 403,
      body: { message: 'You cannot report your own video' },
    });
    const reporter = newCaller('reporter');
    await verifiedInDatabase(reporter);
    expect(await report(reporter, hidden.id)).toMatchObject({ statusCode: 404 });
    const invalid = await invoke(
      reportVideo,
      {
        method: 'POST',
        route: '/api/public/videos/{id}/reports',
        pathParameters: { id: String(id) },
        body: { reason: 'boring', text: 'x'.repeat(501) },
        caller: reporter,
      },
      { invalidRequest: true },
    );
    expect(invalid).toMatchObject({
      statusCode: 400,
      body: {
        errors: [
          { field: 'reason', message: 'Must be one of spam, abuse, not-a-race, other' },
          { field: 'text', message: 'Must be 1–500 characters' },
        ],
      },
    });
  });
});

describe('the report queue and hiding', () => {
  it('lists open reports grouped by video, oldest first, and hiding closes them', async () => {
    // Prepare: two videos, the second reported first.
    const admin = newCaller('admin');
    const [a, b] = [newCaller('reporter'), newCaller('reporter')];
    await Promise.all([verifiedInDatabase(a), verifiedInDatabase(b)]);
    const [firstOwner, secondOwner] = [newCaller('owner'), newCaller('owner')];
    const first = await video(firstOwner);
    const second = await video(secondOwner);
    await report(a, second.id, { reason: 'spam' });
    await report(a, first.id, { reason: 'abuse', text: 'Insults in the title' });
    await report(b, second.id, { reason: 'other' });

    // Act
    const open = await invoke(adminReports, {
      method: 'GET',
      route: '/api/admin/reports',
      query: { status: 'open', max: '100' },
      caller: admin,
      admin: true,
    });

    // Assess
    const mine = (open.body as AdminReportsResponse).data.filter((entry) =>
      [first.id, second.id].includes(entry.video.id),
    );
    expect(mine).toEqual([
      {
        video: {
          id: second.id,
          title: second.title,
          pilot: { username: secondOwner.username },
          published: true,
        },
        reports: [
          { reporter: { username: a.username }, reason: 'spam', createdAt: anyString },
          { reporter: { username: b.username }, reason: 'other', createdAt: anyString },
        ],
      },
      {
        video: {
          id: first.id,
          title: first.title,
          pilot: { username: firstOwner.username },
          published: true,
        },
        reports: [
          {
            reporter: { username: a.username },
            reason: 'abuse',
            text: 'Insults in the title',
            createdAt: anyString,
          },
        ],
      },
    ]);

    // Act: hiding the second video takes its reports off the open queue.
    expect(await hide(admin, second.id, 'Spam')).toMatchObject({ statusCode: 204 });
    const after = await invoke(adminReports, {
      method: 'GET',
      route: '/api/admin/reports',
      query: { max: '100' },
      caller: admin,
      admin: true,
    });
    const closed = await invoke(adminReports, {
      method: 'GET',
      route: '/api/admin/reports',
      query: { status: 'closed', max: '100' },
      caller: admin,
      admin: true,
    });

    // Assess
    const openIds = (after.body as AdminReportsResponse).data.map((entry) => entry.video.id);
    expect(openIds).toContain(first.id);
    expect(openIds).not.toContain(second.id);
    expect(
      (closed.body as AdminReportsResponse).data.find((entry) => entry.video.id === second.id),
    ).toMatchObject({
      video: { hidden: { reason: 'Spam' }, published: false },
    });
  });

  it('takes a hidden video off every public route and the rankings, and restore brings it back with its votes', async () => {
    // Prepare: a pilot whose one video has two votes.
    const admin = newCaller('admin');
    const owner = newCaller('owner');
    const task = await video(owner);
    await castVote(newCaller('voter'), task.id);
    await castVote(newCaller('voter'), task.id);
    expect(await rankingOf(owner.username)).toMatchObject({ votes: 2, videos: 1 });

    // Act
    const hidden = await hide(admin, task.id, 'Crash footage of a spectator');

    // Assess: 404 everywhere public, gone from the rankings; the owner sees why.
    expect(hidden.statusCode).toBe(204);
    expect(await publicVideo(task.id)).toMatchObject({ statusCode: 404 });
    expect(await pilotPage(owner.username)).toMatchObject({ statusCode: 404 });
    expect(await inGallery(task.id)).toBe(false);
    expect(await rankingOf(owner.username)).toBeUndefined();
    expect(await castVote(newCaller('voter'), task.id)).toMatchObject({ statusCode: 404 });
    expect((await ownTask(owner, task.id)).body).toMatchObject({
      public: true,
      votes: 2,
      hidden: { reason: 'Crash footage of a spectator' },
    });

    // Act
    const restored = await restore(admin, task.id);

    // Assess: back, with its first publication time and its votes.
    expect(restored.statusCode).toBe(204);
    expect(await publicVideo(task.id)).toMatchObject({
      statusCode: 200,
      body: { votes: 2, publishedAt: task.publishedAt?.toISOString() },
    });
    expect((await pilotPage(owner.username)).body as PilotPageResponse).toMatchObject({ votes: 2 });
    expect(await rankingOf(owner.username)).toMatchObject({ votes: 2, videos: 1 });
    expect(await inGallery(task.id)).toBe(true);
    expect((await ownTask(owner, task.id)).body as TaskResponse).not.toHaveProperty('hidden');
    const entries = (await audit(admin)).body as AuditResponse;
    expect(
      entries.data.filter((entry) => 'video' in entry.target && entry.target.video.id === task.id),
    ).toEqual([
      expect.objectContaining({ action: 'restore', admin: { username: admin.username } }),
      expect.objectContaining({ action: 'hide', reason: 'Crash footage of a spectator' }),
    ]);
  });

  it('answers 404 for hiding or restoring a video that does not exist', async () => {
    const admin = newCaller('admin');
    expect(await hide(admin, 999_999_999)).toMatchObject({ statusCode: 404 });
    expect(await restore(admin, 999_999_999)).toMatchObject({ statusCode: 404 });
  });

  it('leaves one consistent state after concurrent hides and restores', async () => {
    // Prepare
    const admin = newCaller('admin');
    const owner = newCaller('owner');
    const task = await video(owner);
    await castVote(newCaller('voter'), task.id);

    // Act: twenty actions at once, alternating.
    const answers = await Promise.all(
      Array.from({ length: 20 }, (_, index) =>
        index % 2 === 0 ? hide(admin, task.id) : restore(admin, task.id),
      ),
    );

    // Assess: every action answered; the row, the public side, the standing and the log agree.
    expect(answers.map((answer) => answer.statusCode)).toEqual(Array.from({ length: 20 }, () => 204));
    const { rows } = await databasePool().query<{
      hidden: boolean;
      published: boolean;
      published_votes: string;
      published_videos: number;
    }>(
      `SELECT t.hidden_at IS NOT NULL AS hidden, t.published_at IS NOT NULL AS published, u.published_votes,
         u.published_videos
       FROM tasks t JOIN users u ON u.id = t.owner_id WHERE t.id = $1`,
      [task.id],
    );
    const state = rows[0];
    expect(state?.published).toBe(!state?.hidden);
    expect({ votes: Number(state?.published_votes), videos: state?.published_videos }).toEqual(
      state?.hidden ? { votes: 0, videos: 0 } : { votes: 1, videos: 1 },
    );
    expect((await publicVideo(task.id)).statusCode).toBe(state?.hidden ? 404 : 200);
    // The log alternates hide, restore, ... and ends with the state's own action.
    const actions = ((await audit(admin)).body as AuditResponse).data
      .filter((entry) => 'video' in entry.target && entry.target.video.id === task.id)
      .map((entry) => entry.action)
      .reverse();
    expect(actions[0]).toBe('hide');
    expect(actions.every((action, index) => action === (index % 2 === 0 ? 'hide' : 'restore'))).toBe(true);
    expect(actions.at(-1)).toBe(state?.hidden ? 'hide' : 'restore');
  });
});

describe('DELETE /api/admin/pilots/{username}/votes', () => {
  it('deletes every vote the pilot cast and keeps every count exact, with votes arriving meanwhile', async () => {
    // Prepare: a ring voter on five videos; another voter on the same videos.
    const admin = newCaller('admin');
    const ring = newCaller('ring');
    const tasks = await Promise.all(Array.from({ length: 5 }, () => video(newCaller('owner'))));
    for (const task of tasks) await castVote(ring, task.id);

    // Act: the annulment while others vote on the same videos.
    const [annulled] = await Promise.all([
      invoke(annulVotes, {
        method: 'DELETE',
        route: '/api/admin/pilots/{username}/votes',
        pathParameters: { username: ring.username.toUpperCase() },
        body: { reason: 'Vote ring' },
        caller: admin,
        admin: true,
      }),
      ...tasks.map((task) => castVote(newCaller('voter'), task.id)),
    ]);

    // Assess
    expect(annulled.statusCode).toBe(204);
    for (const task of tasks) {
      expect(await countsOf(task.id)).toEqual({ voteCount: 1, rows: 1 });
      expect(await publicVideo(task.id)).toMatchObject({ body: { votes: 1 } });
    }
    const entry = ((await audit(admin)).body as AuditResponse).data.find(
      (item) => 'pilot' in item.target && item.target.pilot.username === ring.username,
    );
    expect(entry).toMatchObject({ action: 'annul-votes', reason: 'Vote ring', votes: 5 });
  });

  it('answers 404 for a pilot it does not know', async () => {
    const response = await invoke(annulVotes, {
      method: 'DELETE',
      route: '/api/admin/pilots/{username}/votes',
      pathParameters: { username: 'nobody_here' },
      body: { reason: 'Vote ring' },
      caller: newCaller('admin'),
      admin: true,
    });
    expect(response).toMatchObject({ statusCode: 404, body: { message: 'Pilot not found' } });
  });
});

describe('suspend and reinstate', () => {
  const standing = (handler: ApiHandler, admin: Caller, username: string, action: 'suspend' | 'reinstate') =>
    invoke(handler, {
      method: 'POST',
      route: `/api/admin/pilots/{username}/${action}`,
      pathParameters: { username },
      body: action === 'suspend' ? { reason: 'Cheating' } : undefined,
      caller: admin,
      admin: true,
    });

  it('refuses the suspended pilot’s login and refresh, hides their videos and withholds their votes; reinstate reverses all', async () => {
    // Prepare: the pilot has a video with one vote and voted for another pilot's video.
    const admin = newCaller('admin');
    const { caller: pilot, refreshToken } = await signedUpPilot('suspect');
    const own = await video(pilot);
    await castVote(newCaller('voter'), own.id);
    const other = newCaller('owner');
    const theirs = await video(other);
    await castVote(pilot, theirs.id);
    expect(await rankingOf(other.username)).toMatchObject({ votes: 1 });

    // Act
    const suspended = await standing(suspendPilot, admin, pilot.username.toUpperCase(), 'suspend');

    // Assess
    expect(suspended.statusCode).toBe(204);
    const loginAnswer = await invoke(login, {
      method: 'POST',
      route: '/api/auth/login',
      body: { username: pilot.username, password: TEST_PASSWORD },
    });
    expect(loginAnswer).toMatchObject({
      statusCode: 403,
      body: { message: 'This account is suspended by the league' },
    });
    const refreshAnswer = await invoke(refresh, {
      method: 'POST',
      route: '/api/auth/refresh',
      body: { refresh_token: refreshToken },
    });
    // Every session ended with the suspension (AdminUserGlobalSignOut): the refresh token is revoked.
    expect(refreshAnswer).toMatchObject({
      statusCode: 401,
      body: { message: 'Invalid or expired refresh token' },
    });
    expect(await publicVideo(own.id)).toMatchObject({ statusCode: 404 });
    expect(await rankingOf(pilot.username)).toBeUndefined();
    expect(await rankingOf(other.username)).toMatchObject({ votes: 0 });
    expect(await countsOf(theirs.id)).toEqual({ voteCount: 0, rows: 0 });
    // Their access token outlives the suspension: a vote with it is refused.
    const third = await video(newCaller('owner'));
    expect(await castVote(pilot, third.id)).toMatchObject({
      statusCode: 403,
      body: { message: 'This account is suspended by the league' },
    });

    // Act
    const reinstated = await standing(reinstatePilot, admin, pilot.username, 'reinstate');

    // Assess
    expect(reinstated.statusCode).toBe(204);
    expect(
      await invoke(login, {
        method: 'POST',
        route: '/api/auth/login',
        body: { username: pilot.username, password: TEST_PASSWORD },
      }),
    ).toMatchObject({ statusCode: 200 });
    expect(await publicVideo(own.id)).toMatchObject({ statusCode: 200, body: { votes: 1 } });
    expect(await rankingOf(other.username)).toMatchObject({ votes: 1 });
    expect(await countsOf(theirs.id)).toEqual({ voteCount: 1, rows: 1 });
    const actions = ((await audit(admin)).body as AuditResponse).data
      .filter((entry) => 'pilot' in entry.target && entry.target.pilot.username === pilot.username)
      .map((entry) => [entry.action, entry.reason]);
    expect(actions).toEqual([
      ['reinstate', undefined],
      ['suspend', 'Cheating'],
    ]);
  });

  it('answers 404 for an unknown pilot and 403 to an admin suspending themselves', async () => {
    const { caller: admin } = await signedUpPilot('admin');
    expect(await standing(suspendPilot, admin, 'nobody_here', 'suspend')).toMatchObject({ statusCode: 404 });
    expect(await standing(suspendPilot, admin, admin.username, 'suspend')).toMatchObject({
      statusCode: 403,
      body: { message: 'You cannot suspend yourself' },
    });
  });
});

describe('the audit log', () => {
  it('refuses to be changed or emptied', async () => {
    await hide(newCaller('admin'), (await video(newCaller('owner'))).id);
    await expect(databasePool().query('UPDATE audit_log SET reason = NULL')).rejects.toThrow(
      'audit_log is append-only',
    );
    await expect(databasePool().query('DELETE FROM audit_log')).rejects.toThrow('audit_log is append-only');
    await expect(databasePool().query('TRUNCATE audit_log')).rejects.toThrow('audit_log is append-only');
  });
});
