/**
 * Rankings by period and the pilot page under load through the local stack's gateway (docs/performance.md,
 * "Rankings by period"): 10 000 published videos of 5 000 pilots and 1 000 000 votes cast over two seasons,
 * seeded straight in SQL; p50/p95/p99 of GET /api/public/rankings for every period and of a pilot's page at one
 * connection; the one-off cost of a period's first ranking of the day; and the EXPLAIN (ANALYZE, BUFFERS) plans
 * of the statements the repository sends (recorded from the repository itself, not copied), each checked for a
 * sequential scan over `votes`.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { PgGalleryRepository } from '#adapters/pg/gallery-repository';
import { periodStart, RANKING_PERIODS, utcDay } from '#core/seasons';
import { E2E_PART_BYTES, freeStackPorts, startStackProcess } from '#test/support/stack-process';
import { loadAverage } from './cpu';
import { beginSeed, DATABASE_URL, seedVotes } from './gallery';
import { type LoadRow, measureLoad, paceFor } from './load';
import { round } from './stats';

export const PERIODS_SEED = { pilots: 5_000, videos: 10_000, votes: 1_000_000 } as const;
export const PERIODS_GOAL_P95_MS = 20;

/**
 * Two seasons: the first began on the first day of the month nine months ago, the second (the current one) three
 * months ago. Whole months, so the stack's template (whose context holds them) changes once a month, not daily.
 */
export function benchSeasons(now: Date): [string, string] {
  const monthStart = (monthsAgo: number) =>
    utcDay(new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - monthsAgo, 1)));
  return [monthStart(9), monthStart(3)];
}

/** Requests per row. */
const PERIOD_REQUESTS = 400;

export interface PeriodsBenchResult {
  seed: typeof PERIODS_SEED & {
    seasons: string[];
    seedSeconds: number;
    votesPerPeriod: Record<string, number>;
  };
  /** The first ranking of a day per period sums that period's days once (track_vote_period): ms, once each. */
  firstRankingOfTheDayMs: Record<string, number>;
  load: LoadRow[];
  loadAverage: { before: [number, number, number]; after: [number, number, number] };
  plans: Record<string, string>;
  /** Names of the plans with a sequential scan over votes: must be none. */
  votesSeqScans: string[];
}

/**
 * Seeds with triggers off (session_replication_role = replica) and computes what they keep in bulk: vote_count,
 * the pilots' totals and their counted votes per day. Votes are cast uniformly from the first season's start to now.
 */
async function seed(client: pg.Client, firstSeason: string): Promise<void> {
  const { pilots, videos } = PERIODS_SEED;
  await beginSeed(client, pilots);
  await client.query(
    `INSERT INTO tasks (owner_id, file_name, title, content_type, declared_bytes, status, original_key, processed_key,
       thumbnail_key, processed, upload_expires_at, uploaded_at, processed_at, public, published_at, first_published_at)
     SELECT 'seed-' || (1 + n % $2), 'seed.mp4', 'Heat ' || n, 'video/mp4', 1000, 'processed', 'uploads/seed/' || n,
       'processed/seed/' || n || '/video.mp4', 'processed/seed/' || n || '/thumbnail.jpg',
       '{"durationSeconds": 20, "width": 1280, "height": 720, "sizeBytes": 1000, "processingMs": 1, "sourceBytesRead": 1}',
       now(), now(), now(), true, p.at, p.at
     FROM generate_series(1, $1) n, LATERAL (SELECT date_trunc('milliseconds', $3::timestamptz - n * interval '1 minute') AS at) p`,
    [videos, pilots, `${firstSeason}T00:00:00Z`],
  );
  await seedVotes(client, PERIODS_SEED, `${firstSeason}T00:00:00Z`);
  await client.query(
    `INSERT INTO pilot_vote_days (owner_id, day, votes)
     SELECT t.owner_id, (v.created_at AT TIME ZONE 'UTC')::date, count(*)
     FROM votes v JOIN tasks t ON t.id = v.task_id WHERE t.published_at IS NOT NULL GROUP BY 1, 2`,
  );
  await client.query('COMMIT');
  await client.query('ANALYZE users, tasks, votes, pilot_vote_days');
}

/**
 * The repository over a "pool" that runs each statement it sends as EXPLAIN (ANALYZE, BUFFERS) and keeps the
 * plan: the bench shows the plans of the statements the API runs, not of a copy that could drift from them.
 */
function explaining(client: pg.Client, plans: string[]): PgGalleryRepository {
  const pool = {
    query: async (text: string, values?: unknown[]) => {
      const result = await client.query<{ 'QUERY PLAN': string }>(
        `EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) ${text}`,
        values,
      );
      plans.push(result.rows.map((row) => row['QUERY PLAN']).join('\n'));
      // Rows, so the repository takes its usual path (no "past the end" count); their values are not used.
      return result;
    },
  };
  return new PgGalleryRepository(pool as unknown as pg.Pool);
}

export async function benchPeriods(log: (line: string) => void): Promise<PeriodsBenchResult> {
  const now = new Date();
  const seasons = benchSeasons(now);
  const stateDir = await mkdtemp(join(tmpdir(), 'idrl-bench-periods-'));
  const ports = await freeStackPorts();
  const stack = await startStackProcess(stateDir, ports, {
    LOCAL_CDK_CONTEXT: `multipartPartBytes=${E2E_PART_BYTES},seasons=${seasons.join(',')}`,
  });
  const client = new pg.Client({ connectionString: DATABASE_URL(ports.postgres) });
  await client.connect();
  try {
    const started = performance.now();
    await seed(client, seasons[0]);
    const seedSeconds = round((performance.now() - started) / 1000, 1);
    const starts = Object.fromEntries(
      RANKING_PERIODS.map((period) => [period, periodStart(period, now, seasons)] as const),
    );
    const votesPerPeriod: Record<string, number> = {};
    for (const [period, since] of Object.entries(starts)) {
      const { rows } = await client.query<{ count: string }>(
        'SELECT coalesce(sum(votes), 0) AS count FROM pilot_vote_days WHERE $1::date IS NULL OR day >= $1::date',
        [since ?? null],
      );
      votesPerPeriod[period] = Number(rows[0]?.count ?? 0);
    }
    log(
      `  seeded ${PERIODS_SEED.videos} videos, ${PERIODS_SEED.votes} votes, ${PERIODS_SEED.pilots} pilots in ${seedSeconds} s; seasons ${seasons.join(', ')}; votes per period ${JSON.stringify(votesPerPeriod)}`,
    );

    const firstRankingOfTheDayMs: Record<string, number> = {};
    for (const [period, since] of Object.entries(starts)) {
      if (since === undefined) continue;
      const begun = performance.now();
      await client.query('SELECT track_vote_period($1::date)', [since]);
      firstRankingOfTheDayMs[period] = round(performance.now() - begun, 1);
    }
    log(
      `  first ranking of the day per period (sums its days once), ms: ${JSON.stringify(firstRankingOfTheDayMs)}`,
    );

    const gateway = stack.apiUrl.replace(/\/api$/, '');
    const rows: LoadRow[] = [];
    const loadBefore = loadAverage();
    const endpoints = [
      ...RANKING_PERIODS.map(
        (period) => [`rankings ${period}`, 'rankings', `/api/public/rankings?period=${period}`] as const,
      ),
      ['pilot page (leader)', 'get-pilot', '/api/public/pilots/pilot_00001'] as const,
      ['pilot page (tail)', 'get-pilot', '/api/public/pilots/pilot_04999'] as const,
    ];
    for (const [endpoint, route, path] of endpoints) {
      const measured = await measureLoad(endpoint, `${gateway}${path}`, {
        method: 'GET',
        connections: 1,
        overallRate: paceFor(route),
        // 10 s at the paced rate: 400 answers, so one slow answer in twenty is not the whole p95.
        amount: PERIOD_REQUESTS,
      });
      rows.push(measured);
      log(`  ${endpoint} ×1: ${measured.requestsPerSecond} req/s, p95 ${measured.p95Ms} ms`);
    }
    const loadAfter = loadAverage();

    const plans: Record<string, string> = {};
    for (const [period, since] of Object.entries(starts)) {
      const recorded: string[] = [];
      await explaining(client, recorded).rankings({ limit: 20, offset: 0, since });
      recorded.forEach((plan, index) => (plans[`rankings ${period} (statement ${index + 1})`] = plan));
    }
    const recorded: string[] = [];
    const repository = explaining(client, recorded);
    await repository.findPilot('pilot_00001');
    await repository.listPublished({ limit: 21, ownerId: 'seed-1' });
    recorded.forEach((plan, index) => (plans[`pilot page (statement ${index + 1})`] = plan));
    // A vote's own cost with the period triggers, rolled back: the plan lists each trigger's time.
    await client.query('BEGIN');
    const { rows: vote } = await client.query<{ 'QUERY PLAN': string }>(
      `EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) INSERT INTO votes (task_id, user_sub)
       SELECT id, 'seed-4999' FROM tasks WHERE owner_id = 'seed-1' ORDER BY id LIMIT 1`,
    );
    await client.query('ROLLBACK');
    plans['vote (rolled back)'] = vote.map((row) => row['QUERY PLAN']).join('\n');

    return {
      seed: { ...PERIODS_SEED, seasons, seedSeconds, votesPerPeriod },
      firstRankingOfTheDayMs,
      load: rows,
      loadAverage: { before: loadBefore, after: loadAfter },
      plans,
      votesSeqScans: Object.entries(plans)
        .filter(([, plan]) => /Seq Scan on votes\b/.test(plan))
        .map(([name]) => name),
    };
  } finally {
    await client.end();
    await stack.stop();
    await rm(stateDir, { recursive: true, force: true });
  }
}
