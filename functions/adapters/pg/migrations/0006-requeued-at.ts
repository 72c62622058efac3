import type { Migration } from '#adapters/pg/migrator';

/**
 * When the sweeper last queued a task's unrecorded upload again, and how many times (docs/worker.md,
 * "Re-enqueueing"): it sends it once per delivery lifetime instead of at every run, so a worker that stays broken
 * does not collect one more duplicate per run in the DLQ, and fails the task after a few sends, so an upload in the
 * bucket always ends processed or failed. Nullable or defaulted, written only by the new sweeper: compatible with
 * the previous code.
 */
export const migration: Migration = {
  version: 6,
  name: 'requeued-at',
  sql: `
    ALTER TABLE tasks
      ADD COLUMN requeued_at timestamptz,
      ADD COLUMN requeue_count integer NOT NULL DEFAULT 0 CHECK (requeue_count >= 0);
  `,
};
