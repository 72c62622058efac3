/**
 * The public gallery under load through the local stack's gateway (docs/performance.md, "Gallery"):
 * 10 000 published videos, 100 000 votes and 5 000 pilots seeded straight in SQL, then p50/p95/p99 of
 * the list, the rankings (first page and offset 4900) and voting at 1 and 10 connections, and the
 * EXPLAIN ANALYZE plans of the list and the rankings.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { callApi, mailedCode } from '#test/support/http-client';
import { freeStackPorts, startStackProcess } from '#test/support/stack-process';
import { loadAverage } from './cpu';
import { type LoadRow, measureLoad, paceFor } from './load';
import { expectStatus } from './stack';
import { round } from './stats';

export const GALLERY_SEED = { pilots: 5_000, videos: 10_000, votes: 100_000 } as const;
const CONNECTION_LEVELS = [1, 10];
// infra/local/services/postgres.ts: the embedded cluster's superuser and the stack's database.
export const DATABASE_URL = (port: number) => `postgres://postgres:idrl-local@127.0.0.1:${port}/idrl`;

export interface GalleryBenchResult {
  seed: typeof GALLERY_SEED & { seedSeconds: number };
  load: LoadRow[];
  /** 1/5/15-minute load averages around the load runs: figures taken on a busy machine say so. */
  loadAverage: { before: [number, number, number]; after: [number, number, number] };
  plans: Record<string, string>;
}

/**
 * Seeds with triggers off (session_replication_role = replica), then computes what the triggers keep
 * (vote_count, published_votes, published_videos) in bulk: the same values, without 100 000 trigger runs.
 * Votes are skewed so the rankings have leaders, ties and a long tail.
 */
async function seed(client: pg.Client): Promise<void> {
  const { pilots, videos } = GALLERY_SEED;
  await beginSeed(client, pilots);
  await client.query(
    `INSERT INTO tasks (owner_id, file_name, content_type, declared_bytes, status, original_key, processed_key,
       thumbnail_key, processed, upload_expires_at, uploaded_at, processed_at, public, published_at)
     SELECT 'seed-' || (1 + n % $2), 'seed.mp4', 'video/mp4', 1000, 'processed', 'uploads/seed/' || n,
       'processed/seed/' || n || '/video.mp4', 'processed/seed/' || n || '/thumbnail.jpg',
       '{"durationSeconds": 20, "width": 1280, "height": 720, "sizeBytes": 1000, "processingMs": 1, "sourceBytesRead": 1}',
       now(), now(), now(), true, date_trunc('milliseconds', now() - n * interval '1 minute')
     FROM generate_series(1, $1) n`,
    [videos, pilots],
  );
  await seedVotes(client, GALLERY_SEED);
  await client.query('COMMIT');
  await client.query('ANALYZE users, tasks, votes');
}

/** Opens the seeding transaction with triggers off (session_replication_role = replica) and adds the pilots. */
export async function beginSeed(client: pg.Client, pilots: number): Promise<void> {
  await client.query('BEGIN');
  await client.query('SET LOCAL session_replication_role = replica');
  await client.query(
    `INSERT INTO users (id, username) SELECT 'seed-' || n, 'pilot_' || lpad(n::text, 5, '0')
     FROM generate_series(1, $1) n`,
    [pilots],
  );
}

/**
 * Inside the seeding transaction (triggers off): random (video, voter) pairs, skewed towards some videos (square of
 * a uniform draw), own votes dropped, until there are exactly `votes` distinct ones; cast now, or uniformly from
 * `castFrom` to now. Then what migration 4's triggers keep, computed in bulk: vote_count and the pilots' totals.
 */
export async function seedVotes(
  client: pg.Client,
  seed: { pilots: number; videos: number; votes: number },
  castFrom?: string,
): Promise<void> {
  for (;;) {
    const { rows } = await client.query<{ count: string }>('SELECT count(*) FROM votes');
    const missing = seed.votes - Number(rows[0]?.count ?? 0);
    if (missing <= 0) break;
    await client.query(
      `INSERT INTO votes (task_id, user_sub, created_at)
       SELECT t.id, 'seed-' || (1 + floor(random() * $3)::int),
         coalesce($4::timestamptz + random() * (now() - $4::timestamptz), now())
       FROM (SELECT (SELECT min(id) FROM tasks) + floor(random() ^ 2 * $2)::int AS id FROM generate_series(1, $1)) pick
       JOIN tasks t ON t.id = pick.id
       ON CONFLICT DO NOTHING`,
      [missing, seed.videos, seed.pilots, castFrom ?? null],
    );
    await client.query(`DELETE FROM votes WHERE ctid IN (SELECT v.ctid FROM votes v JOIN tasks t ON t.id = v.task_id
      WHERE t.owner_id = v.user_sub)`);
  }
  await client.query(
    `UPDATE tasks t SET vote_count = c.n FROM (SELECT task_id, count(*) n FROM votes GROUP BY task_id) c
     WHERE c.task_id = t.id`,
  );
  await client.query(
    `UPDATE users u SET published_votes = s.votes, published_videos = s.videos FROM
       (SELECT owner_id, sum(vote_count) votes, count(*) videos FROM tasks WHERE published_at IS NOT NULL
        GROUP BY owner_id) s
     WHERE s.owner_id = u.id`,
  );
}

/** The statements of functions/adapters/pg/gallery-repository.ts, as they run for these pages. */
const PLANS: Record<string, [string, unknown[]]> = {
  'list (first page)': [
    `SELECT t.id, u.username, t.vote_count, t.published_at, (t.processed->>'durationSeconds')::float8,
       t.processed_key, t.thumbnail_key FROM tasks t JOIN users u ON u.id = t.owner_id
     WHERE t.published_at IS NOT NULL AND ($1::timestamptz IS NULL OR (t.published_at, t.id) < ($1, $2::bigint))
     ORDER BY t.published_at DESC, t.id DESC LIMIT $3`,
    [null, null, 21],
  ],
  'rankings (first page)': [
    `SELECT username, published_votes AS votes, published_videos AS videos,
       rank() OVER (ORDER BY published_votes DESC) AS rank, count(*) OVER () AS total
     FROM users WHERE published_videos > 0
     ORDER BY published_votes DESC, lower(username), id LIMIT $1 OFFSET $2`,
    [20, 0],
  ],
  'rankings (offset 4900)': [
    `SELECT username, published_votes AS votes, published_videos AS videos,
       rank() OVER (ORDER BY published_votes DESC) AS rank, count(*) OVER () AS total
     FROM users WHERE published_videos > 0
     ORDER BY published_votes DESC, lower(username), id LIMIT $1 OFFSET $2`,
    [20, 4900],
  ],
};

export async function benchGallery(log: (line: string) => void): Promise<GalleryBenchResult> {
  const stateDir = await mkdtemp(join(tmpdir(), 'idrl-bench-gallery-'));
  const ports = await freeStackPorts();
  const stack = await startStackProcess(stateDir, ports);
  const client = new pg.Client({ connectionString: DATABASE_URL(ports.postgres) });
  await client.connect();
  try {
    const started = performance.now();
    await seed(client);
    const seedSeconds = round((performance.now() - started) / 1000, 1);
    log(
      `  seeded ${GALLERY_SEED.videos} videos, ${GALLERY_SEED.votes} votes, ${GALLERY_SEED.pilots} pilots in ${seedSeconds} s`,
    );

    const api = stack.apiUrl;
    const username = `voter${Date.now().toString(36)}`;
    const password = 'Bench-Pass-1';
    await callApi(api, 'POST', '/auth/signup', {
      body: { username, email: `${username}@example.com`, password1: password, password2: password },
    });
    const login = await callApi<{ access_token: string }>(api, 'POST', '/auth/login', {
      body: { username, password },
    });
    const token = login.body.access_token;
    // Only a verified email votes (docs/api.md): the code from the stack's mailbox, as a pilot types it.
    await expectStatus(
      callApi(api, 'POST', '/auth/verify-email', {
        token,
        body: { code: await mailedCode(api, `${username}@example.com`) },
      }),
      204,
      'verify-email',
    );
    const { rows: ids } = await client.query<{ id: string }>(
      'SELECT id FROM tasks WHERE published_at IS NOT NULL ORDER BY id',
    );
    let next = 0;
    // Every vote request is a new vote (a video this voter has not voted for yet): 201s, not 409s.
    const votePath = () => `/api/public/videos/${ids[next++ % ids.length]?.id ?? '0'}/vote`;

    const rows: LoadRow[] = [];
    const loadBefore = loadAverage();
    const gateway = api.replace(/\/api$/, '');
    for (const [endpoint, route, path] of [
      ['public list', 'list-public-videos', '/api/public/videos?max=20'],
      ['rankings (first page)', 'rankings', '/api/public/rankings?limit=20'],
      ['rankings (offset 4900)', 'rankings', '/api/public/rankings?limit=20&offset=4900'],
    ] as const) {
      for (const connections of CONNECTION_LEVELS) {
        const measured = await measureLoad(endpoint, `${gateway}${path}`, {
          method: 'GET',
          connections,
          overallRate: paceFor(route),
        });
        rows.push(measured);
        log(`  ${endpoint} ×${connections}: ${measured.requestsPerSecond} req/s, p95 ${measured.p95Ms} ms`);
      }
    }
    // Every answer a vote (the route's own throttle is far below the stage's).
    const voteRate = paceFor('vote');
    for (const connections of CONNECTION_LEVELS) {
      const measured = await measureLoad(`vote (${voteRate} req/s)`, gateway, {
        method: 'POST',
        token,
        connections,
        path: votePath,
        overallRate: voteRate,
      });
      rows.push(measured);
      log(`  vote ×${connections}: ${measured.requestsPerSecond} req/s, p95 ${measured.p95Ms} ms`);
    }
    const loadAfter = loadAverage();

    const plans: Record<string, string> = {};
    for (const [name, [sql, values]] of Object.entries(PLANS)) {
      const { rows: plan } = await client.query<{ 'QUERY PLAN': string }>(
        `EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) ${sql}`,
        values,
      );
      plans[name] = plan.map((line) => line['QUERY PLAN']).join('\n');
    }
    return {
      seed: { ...GALLERY_SEED, seedSeconds },
      load: rows,
      loadAverage: { before: loadBefore, after: loadAfter },
      plans,
    };
  } finally {
    await client.end();
    await stack.stop();
    await rm(stateDir, { recursive: true, force: true });
  }
}
