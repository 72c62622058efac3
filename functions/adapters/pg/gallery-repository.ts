import type pg from 'pg';
import { ALWAYS_ON, ensureUser, queryRows, type PgQueryOptions } from '#adapters/pg/query';
import type {
  GalleryCursor,
  GalleryRepository,
  PilotPage,
  PilotStanding,
  PublishedVideo,
  VoteOutcome,
} from '#core/ports';
import type { Caller } from '#core/task';

/** What migration 12's votes trigger raises for a suspended voter. */
const VOTER_SUSPENDED_SQLSTATE = 'IDR01';

interface PublishedRow {
  id: string;
  title: string;
  username: string;
  vote_count: number;
  views: string;
  published_at: Date;
  duration_seconds: number;
  processed_key: string;
  thumbnail_key: string;
}

function toPublishedVideo(row: PublishedRow): PublishedVideo {
  return {
    id: Number(row.id),
    title: row.title,
    pilotUsername: row.username,
    votes: row.vote_count,
    views: Number(row.views),
    publishedAt: row.published_at,
    durationSeconds: row.duration_seconds,
    processedKey: row.processed_key,
    thumbnailKey: row.thumbnail_key,
  };
}

// published_at is set exactly while a task is processed and public (migration 4's trigger), so
// "published" is one indexed predicate; processed_key and thumbnail_key exist for every processed task.
const PUBLISHED_COLUMNS = `t.id, t.title, u.username, t.vote_count, t.published_at,
  (t.processed->>'durationSeconds')::float8 AS duration_seconds, t.processed_key, t.thumbnail_key,
  COALESCE((SELECT c.views FROM video_view_counts c WHERE c.task_id = t.id), 0) AS views`;

/**
 * The public gallery in PostgreSQL. Writes are single conditional statements; the counts they
 * change are kept by migration 4's triggers inside the same statement, so concurrent votes,
 * withdrawals, (un)publishing and deletes can never leave a count different from its rows.
 */
export class PgGalleryRepository implements GalleryRepository {
  constructor(
    private readonly pool: Pick<pg.Pool, 'query'>,
    private readonly options: PgQueryOptions = ALWAYS_ON,
  ) {}

  async listPublished(query: {
    limit: number;
    after?: GalleryCursor;
    ownerId?: string;
  }): Promise<PublishedVideo[]> {
    // Two statements, not one with "$4 IS NULL OR owner_id = $4": each gets the plan of its own index
    // (tasks_published_idx for the gallery, tasks_owner_published_idx for a pilot's page).
    const owner = query.ownerId === undefined ? '' : 'AND t.owner_id = $4';
    const rows = await queryRows<PublishedRow>(
      this.pool,
      `SELECT ${PUBLISHED_COLUMNS} FROM tasks t JOIN users u ON u.id = t.owner_id
       WHERE t.published_at IS NOT NULL ${owner}
         AND ($1::timestamptz IS NULL OR (t.published_at, t.id) < ($1, $2::bigint))
       ORDER BY t.published_at DESC, t.id DESC LIMIT $3`,
      [
        query.after?.publishedAt ?? null,
        query.after?.id ?? null,
        query.limit,
        ...(query.ownerId === undefined ? [] : [query.ownerId]),
      ],
      this.options,
    );
    return rows.map(toPublishedVideo);
  }

  async findPilot(username: string): Promise<PilotPage | null> {
    // rank = 1 + the pilots with more votes: a count over the ranking index's leading column.
    const [row] = await queryRows<{ id: string; username: string; votes: string; rank: string }>(
      this.pool,
      `SELECT u.id, u.username, u.published_votes AS votes,
         1 + (SELECT count(*) FROM users o WHERE o.published_videos > 0 AND o.published_votes > u.published_votes)
           AS rank
       FROM users u WHERE lower(u.username) = lower($1) AND u.published_videos > 0
       ORDER BY u.id LIMIT 1`,
      [username],
      this.options,
    );
    return row === undefined
      ? null
      : { id: row.id, username: row.username, votes: Number(row.votes), rank: Number(row.rank) };
  }

  async findPublished(id: number): Promise<PublishedVideo | null> {
    const [row] = await queryRows<PublishedRow>(
      this.pool,
      `SELECT ${PUBLISHED_COLUMNS} FROM tasks t JOIN users u ON u.id = t.owner_id
       WHERE t.id = $1 AND t.published_at IS NOT NULL`,
      [id],
      this.options,
    );
    return row === undefined ? null : toPublishedVideo(row);
  }

  async voterVerified(voterSub: string): Promise<boolean> {
    const [row] = await queryRows<{ verified: boolean }>(
      this.pool,
      'SELECT email_verified_at IS NOT NULL AS verified FROM users WHERE id = $1',
      [voterSub],
      this.options,
    );
    return row?.verified === true;
  }

  async vote(taskId: number, voter: Caller): Promise<VoteOutcome> {
    await ensureUser(this.pool, voter, this.options);
    // One statement decides and inserts; a second vote of the same voter is the primary key's unique
    // violation (23505 → ConflictError), however close together the two arrive.
    let target: { owner_id: string; voted: boolean } | undefined;
    try {
      [target] = await queryRows<{ owner_id: string; voted: boolean }>(
        this.pool,
        `WITH target AS (SELECT id, owner_id FROM tasks WHERE id = $1 AND published_at IS NOT NULL),
       inserted AS (
         INSERT INTO votes (task_id, user_sub) SELECT id, $2 FROM target WHERE owner_id <> $2 RETURNING task_id
       )
       SELECT owner_id, EXISTS (SELECT 1 FROM inserted) AS voted FROM target`,
        [taskId, voter.sub],
        this.options,
      );
    } catch (error) {
      // Migration 12's votes_voter_standing: the voter is suspended (their token outlives the suspension).
      if (error instanceof Error && 'code' in error && error.code === VOTER_SUSPENDED_SQLSTATE)
        return { kind: 'suspended' };
      throw error;
    }
    if (target === undefined) return { kind: 'not-published' };
    if (!target.voted) return { kind: 'own-video' };
    // The statement above could not see its own trigger's increment; this one does (and any vote since).
    const [count] = await queryRows<{ vote_count: number }>(
      this.pool,
      'SELECT vote_count FROM tasks WHERE id = $1',
      [taskId],
      this.options,
    );
    return { kind: 'voted', votes: count?.vote_count ?? 0 };
  }

  async votedAmong(voterSub: string, taskIds: readonly number[]): Promise<number[]> {
    // One primary-key probe (task_id, user_sub) per id, and the task's own row for "published".
    const rows = await queryRows<{ task_id: string }>(
      this.pool,
      `SELECT v.task_id FROM votes v JOIN tasks t ON t.id = v.task_id
       WHERE v.task_id = ANY ($1::bigint[]) AND v.user_sub = $2 AND t.published_at IS NOT NULL
       ORDER BY v.task_id`,
      [taskIds, voterSub],
      this.options,
    );
    return rows.map((row) => Number(row.task_id));
  }

  async withdrawVote(taskId: number, voterSub: string): Promise<boolean> {
    const rows = await queryRows(
      this.pool,
      `DELETE FROM votes v USING tasks t
       WHERE v.task_id = $1 AND v.user_sub = $2 AND t.id = v.task_id AND t.published_at IS NOT NULL
       RETURNING v.task_id`,
      [taskId, voterSub],
      this.options,
    );
    return rows.length > 0;
  }

  async rankings(query: {
    limit: number;
    offset: number;
    since?: string;
  }): Promise<{ rows: PilotStanding[]; total: number }> {
    // Window functions see every ranked pilot before LIMIT: rank() is SPEC's rank (1 + the number of
    // pilots with more votes) and count(*) the total, in one pass over the ranked pilots. A period's votes are
    // the tracked counts of its first day (migration 13), one row per pilot joined to the same pilots; a pilot
    // without a vote in the period has none and ranks with 0.
    let votes = 'published_votes';
    let from = 'users';
    const values: unknown[] = [query.limit, query.offset];
    if (query.since !== undefined) {
      await queryRows(this.pool, 'SELECT track_vote_period($1::date)', [query.since], this.options);
      votes = 'coalesce(p.votes, 0)';
      from = 'users LEFT JOIN pilot_period_votes p ON p.starts_on = $3::date AND p.owner_id = users.id';
      values.push(query.since);
    }
    const rows = await queryRows<{
      username: string;
      votes: string;
      videos: number;
      rank: string;
      total: string;
    }>(
      this.pool,
      `SELECT username, ${votes} AS votes, published_videos AS videos,
         rank() OVER (ORDER BY ${votes} DESC) AS rank, count(*) OVER () AS total
       FROM ${from} WHERE published_videos > 0
       ORDER BY ${votes} DESC, lower(username), users.id LIMIT $1 OFFSET $2`,
      values,
      this.options,
    );
    const standings = rows.map((row) => ({
      rank: Number(row.rank),
      username: row.username,
      votes: Number(row.votes),
      videos: row.videos,
    }));
    if (rows[0] !== undefined) return { rows: standings, total: Number(rows[0].total) };
    // A page past the end has no row to carry the total.
    const [count] = await queryRows<{ total: string }>(
      this.pool,
      'SELECT count(*) AS total FROM users WHERE published_videos > 0',
      [],
      this.options,
    );
    return { rows: [], total: Number(count?.total ?? 0) };
  }
}
