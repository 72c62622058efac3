import type pg from 'pg';
import { ALWAYS_ON, queryRows, type PgQueryOptions } from '#adapters/pg/query';
import type { PlayedView, ViewRepository } from '#core/ports';

/**
 * Views in PostgreSQL (migration 14). One statement per batch: the primary key decides which plays are new, and the
 * count rises by the rows that statement really inserted — a concurrent batch with the same play waits on the
 * uncommitted row and then inserts nothing, so no play is ever counted twice or lost.
 */
export class PgViewRepository implements ViewRepository {
  constructor(
    private readonly pool: Pick<pg.Pool, 'query'>,
    private readonly options: PgQueryOptions = ALWAYS_ON,
  ) {}

  async record(views: readonly PlayedView[]): Promise<number> {
    const [row] = await queryRows<{ counted: string }>(
      this.pool,
      `WITH played AS (
         SELECT DISTINCT p.task_id, p.day, decode(p.viewer, 'hex') AS viewer
         FROM unnest($1::bigint[], $2::date[], $3::text[]) AS p (task_id, day, viewer)
         JOIN tasks t ON t.id = p.task_id AND t.published_at IS NOT NULL
       ),
       inserted AS (
         INSERT INTO video_views (task_id, day, viewer) SELECT task_id, day, viewer FROM played
         ON CONFLICT DO NOTHING RETURNING task_id
       ),
       counted AS (
         INSERT INTO video_view_counts (task_id, views) SELECT task_id, count(*) FROM inserted GROUP BY task_id
         ON CONFLICT (task_id) DO UPDATE SET views = video_view_counts.views + EXCLUDED.views
         RETURNING 1
       )
       SELECT count(*) AS counted FROM inserted`,
      [views.map((view) => view.taskId), views.map((view) => view.day), views.map((view) => view.viewer)],
      this.options,
    );
    return Number(row?.counted ?? 0);
  }

  async pruneBefore(day: string): Promise<number> {
    const rows = await queryRows(
      this.pool,
      'DELETE FROM video_views WHERE day < $1::date RETURNING 1',
      [day],
      this.options,
    );
    return rows.length;
  }
}
