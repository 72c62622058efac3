/**
 * Rankings by period (docs/spec.md §9, "Seasons"; migration 13): which votes each period counts, at its exact
 * boundaries, with ties, and only on published videos — through the handler for the API's rules and through the
 * voting service on a fixed clock and season configuration for the boundaries. Votes are inserted with the
 * casting time the test needs; the same triggers count them as a vote through the API.
 */
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { handler as rankings } from '#functions/api/rankings';
import { handler as deleteTask } from '#functions/api/delete-task';
import { databasePool } from '#commons/clients';
import { getTaskRepository } from '#commons/composition-root';
import { PgGalleryRepository } from '#adapters/pg/gallery-repository';
import { VotingService } from '#core/gallery-service';
import type { RankingsResponse } from '#core/schemas';
import { type RankingPeriod, periodStart, utcDay } from '#core/seasons';
import type { Caller, Task } from '#core/task';
import { castVote, patchTask } from '#test/helpers/gallery-requests';
import { publishedTask } from '#test/helpers/tasks';
import { invoke } from '#test/helpers/api-gateway';
import { INVALID_REQUEST } from '#test/helpers/contract';

const DAY_MS = 86_400_000;
const NOW = new Date();
const TODAY = utcDay(NOW);
const daysAgo = (days: number) => utcDay(new Date(Date.parse(`${TODAY}T00:00:00.000Z`) - days * DAY_MS));
/** This season began 40 days ago (before the month's first day); the next starts in 10 days. */
const SEASON_START = daysAgo(40);
const seasonStarts = [daysAgo(400), SEASON_START, utcDay(new Date(NOW.getTime() + 10 * DAY_MS))];
const voting = new VotingService({
  repository: new PgGalleryRepository(databasePool()),
  clock: { now: () => NOW },
  seasonStarts,
});

const newCaller = (prefix: string): Caller => ({
  sub: randomUUID(),
  username: `${prefix}_${randomUUID().slice(0, 8)}`,
});

async function video(owner: Caller, options: { public?: boolean } = {}): Promise<Task> {
  return publishedTask(getTaskRepository(), owner, options);
}

/** One vote per new voter on the video, cast at each given instant. */
async function votesAt(taskId: number, instants: readonly string[]): Promise<void> {
  for (const at of instants) {
    const voter = newCaller('voter');
    await getTaskRepository().ensureUser(voter);
    await databasePool().query('INSERT INTO votes (task_id, user_sub, created_at) VALUES ($1, $2, $3)', [
      taskId,
      voter.sub,
      at,
    ]);
  }
}

/** The whole ranking of a period, page by page (other test files rank pilots too). */
async function wholeRanking(period: RankingPeriod): Promise<RankingsResponse> {
  const data: RankingsResponse['data'] = [];
  for (let offset = 0; ; offset += 100) {
    const page = await voting.rankings({ limit: 100, offset, period });
    data.push(...page.data);
    if (page.data.length < 100) return { ...page, data };
  }
}

async function votesOf(period: RankingPeriod, pilots: readonly Caller[]): Promise<(number | undefined)[]> {
  const { data } = await wholeRanking(period);
  return pilots.map((pilot) => data.find((row) => row.pilot.username === pilot.username)?.votes);
}

const ALL_PERIODS = ['week', 'month', 'season', 'all'] as const;

async function votesInEveryPeriod(pilots: readonly Caller[]) {
  const result: Record<string, (number | undefined)[]> = {};
  for (const period of ALL_PERIODS) result[period] = await votesOf(period, pilots);
  return result;
}

const startOf = (day: string) => `${day}T00:00:00.000Z`;
const justBefore = (day: string) => new Date(Date.parse(startOf(day)) - 1).toISOString();

describe('GET /api/public/rankings?period=', () => {
  it('counts a vote from 00:00 UTC of the first day of the week, the month and the season, not a millisecond before', async () => {
    // Prepare: the periods' first days are read (so tracked) before the votes are cast, then after
    const [weekStart, monthStart] = [periodStart('week', NOW, []), periodStart('month', NOW, [])] as [
      string,
      string,
    ];
    expect([weekStart, monthStart]).toEqual([daysAgo(6), daysAgo(29)]);
    const pilot = newCaller('bounds');
    const task = await video(pilot);
    await votesInEveryPeriod([pilot]);

    // Act
    await votesAt(task.id, [
      NOW.toISOString(),
      startOf(weekStart),
      justBefore(weekStart),
      startOf(monthStart),
      justBefore(monthStart),
      startOf(SEASON_START),
      justBefore(SEASON_START),
    ]);

    // Assess: 2 in the week, 4 in the month, 6 in the season, 7 ever
    expect(await votesInEveryPeriod([pilot])).toEqual({ week: [2], month: [4], season: [6], all: [7] });
    const week = await voting.rankings({ limit: 1, offset: 0, period: 'week' });
    expect({ period: week.period, since: week.since }).toEqual({ period: 'week', since: weekStart });
    const season = await voting.rankings({ limit: 1, offset: 0, period: 'season' });
    expect(season.since).toBe(SEASON_START);
  });

  it('counts the same votes when a period is first asked for after they were cast', async () => {
    // Prepare: votes before the first ranking of a season nobody asked for yet
    const pilot = newCaller('late');
    const task = await video(pilot);
    const firstDay = daysAgo(45);
    await votesAt(task.id, [startOf(firstDay), justBefore(firstDay), daysAgo(3)]);
    const lateVoting = new VotingService({
      repository: new PgGalleryRepository(databasePool()),
      clock: { now: () => NOW },
      seasonStarts: [firstDay],
    });

    // Act
    const page = await lateVoting.rankings({ limit: 100, offset: 0, period: 'season' });
    const all = [];
    for (let offset = 0; ; offset += 100) {
      const next = await lateVoting.rankings({ limit: 100, offset, period: 'season' });
      all.push(...next.data);
      if (next.data.length < 100) break;
    }

    // Assess
    expect(page.since).toBe(firstDay);
    expect(all.find((row) => row.pilot.username === pilot.username)?.votes).toBe(2);
  });

  it('shares a rank between pilots tied in a period, ordered by username, with the rank of every row exact', async () => {
    // Prepare: two pilots with 3 votes this week (one also with older ones), a third with 1
    const tag = randomUUID().slice(0, 6);
    const pilots = ['a', 'b', 'c'].map((letter) => ({
      sub: randomUUID(),
      username: `tie_${tag}_${letter}`,
    })) as [Caller, Caller, Caller];
    const [alpha, bravo, charlie] = await Promise.all(pilots.map((pilot) => video(pilot)));
    const recent = [NOW.toISOString(), startOf(daysAgo(1)), startOf(daysAgo(6))];
    await votesAt(alpha?.id ?? 0, [...recent, justBefore(daysAgo(6)), startOf(daysAgo(20))]);
    await votesAt(bravo?.id ?? 0, recent);
    await votesAt(charlie?.id ?? 0, [NOW.toISOString()]);

    // Act
    const week = await wholeRanking('week');

    // Assess
    const rankOf = (votes: number) => 1 + week.data.filter((row) => row.votes > votes).length;
    const mine = week.data.filter((row) => row.pilot.username.startsWith(`tie_${tag}_`));
    expect(mine).toEqual([
      { rank: rankOf(3), pilot: { username: pilots[0].username }, votes: 3, videos: 1 },
      { rank: rankOf(3), pilot: { username: pilots[1].username }, votes: 3, videos: 1 },
      { rank: rankOf(1), pilot: { username: pilots[2].username }, votes: 1, videos: 1 },
    ]);
    expect(week.total).toBe(week.data.length);
    for (const [index, row] of week.data.entries()) {
      expect(row.rank).toBe(rankOf(row.votes));
      const next = week.data[index + 1];
      if (next !== undefined) expect(next.votes).toBeLessThanOrEqual(row.votes);
    }
    expect(await votesOf('month', pilots)).toEqual([5, 3, 1]);
  });

  it('counts an unpublished video in no period, again once republished, and a deleted one never', async () => {
    // Prepare: a pilot's published video, and a private one with votes today and in the season
    const owner = newCaller('hidden');
    const shown = await video(owner);
    const hidden = await video(owner, { public: false });
    await votesAt(shown.id, [NOW.toISOString()]);
    await votesAt(hidden.id, [NOW.toISOString(), startOf(daysAgo(10)), startOf(daysAgo(35))]);

    // Act / Assess: private, then published, then unpublished, then deleted while published
    expect(await votesInEveryPeriod([owner])).toEqual({ week: [1], month: [1], season: [1], all: [1] });
    expect((await patchTask(owner, hidden.id, { public: true })).statusCode).toBe(200);
    expect(await votesInEveryPeriod([owner])).toEqual({ week: [2], month: [3], season: [4], all: [4] });
    expect((await patchTask(owner, hidden.id, { public: false })).statusCode).toBe(200);
    expect(await votesInEveryPeriod([owner])).toEqual({ week: [1], month: [1], season: [1], all: [1] });
    await patchTask(owner, hidden.id, { public: true });
    const deleted = await invoke(deleteTask, {
      method: 'DELETE',
      route: '/api/tasks/{id}',
      pathParameters: { id: String(hidden.id) },
      caller: owner,
    });
    expect(deleted.statusCode).toBe(204);
    expect(await votesInEveryPeriod([owner])).toEqual({ week: [1], month: [1], season: [1], all: [1] });
  });

  it("takes the votes out of every period when a published video's row or a voter's account is deleted outright", async () => {
    // Prepare: deletes as an account purge makes them (the task row itself; the user row, cascading to their votes)
    const owner = newCaller('purged');
    const kept = await video(owner);
    const gone = await video(owner);
    const voter = newCaller('voter');
    await getTaskRepository().ensureUser(voter);
    await votesAt(gone.id, [NOW.toISOString(), startOf(daysAgo(20))]);
    await databasePool().query('INSERT INTO votes (task_id, user_sub) VALUES ($1, $2), ($3, $2)', [
      kept.id,
      voter.sub,
      gone.id,
    ]);
    expect(await votesInEveryPeriod([owner])).toEqual({ week: [3], month: [4], season: [4], all: [4] });

    // Act / Assess
    await databasePool().query('DELETE FROM tasks WHERE id = $1', [gone.id]);
    expect(await votesInEveryPeriod([owner])).toEqual({ week: [1], month: [1], season: [1], all: [1] });
    await databasePool().query('DELETE FROM users WHERE id = $1', [voter.sub]);
    expect(await votesInEveryPeriod([owner])).toEqual({ week: [0], month: [0], season: [0], all: [0] });
  });

  it('takes a withdrawn vote out of every period, and keeps a pilot without votes in the period at 0', async () => {
    // Prepare
    const owner = newCaller('withdrawn');
    const voter = newCaller('voter');
    const task = await video(owner);
    await votesAt(task.id, [startOf(daysAgo(50))]);
    expect((await castVote(voter, task.id)).statusCode).toBe(201);
    expect(await votesInEveryPeriod([owner])).toEqual({ week: [1], month: [1], season: [1], all: [2] });

    // Act
    await voting.withdraw(voter, task.id);

    // Assess
    expect(await votesInEveryPeriod([owner])).toEqual({ week: [0], month: [0], season: [0], all: [1] });
  });

  it('answers period=season as every vote while no season has started, and all by default', async () => {
    // Act: the test environment configures no season (LEAGUE_SEASON_STARTS unset)
    const [season, byDefault] = await Promise.all([
      invoke(rankings, {
        method: 'GET',
        route: '/api/public/rankings',
        query: { period: 'season', limit: '5' },
      }),
      invoke(rankings, { method: 'GET', route: '/api/public/rankings', query: { limit: '5' } }),
    ]);

    // Assess
    expect(season.statusCode).toBe(200);
    expect(byDefault.statusCode).toBe(200);
    expect((season.body as RankingsResponse).period).toBe('season');
    expect((season.body as RankingsResponse).since).toBeUndefined();
    expect((byDefault.body as RankingsResponse).period).toBe('all');
  });

  it.each(['year', 'WEEK', '', 'week,month'])(
    'refuses period=%j with a 400 naming the periods',
    async (period) => {
      // Act
      const response = await invoke(
        rankings,
        { method: 'GET', route: '/api/public/rankings', query: { period } },
        INVALID_REQUEST,
      );

      // Assess
      expect(response.statusCode).toBe(400);
      expect(response.body).toEqual({
        message: 'Invalid query parameters',
        errors: [{ field: 'period', message: 'Must be one of week, month, season, all' }],
      });
    },
  );
});
