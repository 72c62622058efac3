import type { Migration } from '#adapters/pg/migrator';

/**
 * When the sweeper last queued a task's unrecorded upload again (docs/worker.md, "Re-enqueueing"): it sends it
 * once per delivery lifetime instead of at every run, so a worker that stays broken does not collect one more
 * duplicate per run in the DLQ. Nullable, written only by the new sweeper: compatible with the previous code.
 */
export const migration: Migration = {
  version: 6,
  name: 'requeued-at',
  sql: `
    ALTER TABLE tasks ADD COLUMN requeued_at timestamptz;
  `,
};
