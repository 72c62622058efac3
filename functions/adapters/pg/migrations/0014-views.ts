import type { Migration } from '#adapters/pg/migrator';

/**
 * Views of public videos (docs/spec.md §9, docs/infra.md "Views"): a play counts once per viewer per UTC day.
 * `video_views` is the per-day dedup set — the viewer is an HMAC of the day and the viewer (never a raw address,
 * user agent or user id), so a row links to nothing outside its day — and `video_view_counts` holds the count the
 * gallery shows. The consumer of the views queue inserts a batch with ON CONFLICT DO NOTHING and raises each count by
 * the rows really inserted, in one statement: exact under duplicate messages and concurrent batches. Rows older than
 * yesterday are pruned by the consumer (the day index). A separate count table, not a tasks column: counting never
 * locks or rewrites a task row the worker and the owner update. New tables only: compatible with the previous code.
 */
export const migration: Migration = {
  version: 14,
  name: 'views',
  sql: `
    CREATE TABLE video_views (
      task_id bigint NOT NULL REFERENCES tasks (id) ON DELETE CASCADE,
      day date NOT NULL,
      viewer bytea NOT NULL CHECK (octet_length(viewer) = 32),
      PRIMARY KEY (task_id, day, viewer)
    );
    CREATE INDEX video_views_day_idx ON video_views (day);
    CREATE TABLE video_view_counts (
      task_id bigint PRIMARY KEY REFERENCES tasks (id) ON DELETE CASCADE,
      views bigint NOT NULL CHECK (views >= 0)
    );
  `,
};
