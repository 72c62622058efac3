import type { Migration } from '#adapters/pg/migrator';

/**
 * The per-pilot cap on concurrent edits (docs/worker.md, "A fair worker"): `parked_at` is when a delivery first
 * found its pilot at the cap and parked the task (its message acknowledged, the task left 'uploaded'); the claim
 * clears it. The partial indexes serve the two counts the claim makes under the pilot's lock (edits in progress,
 * parked tasks ahead) and the sweeper's look for parked tasks. A nullable column and new indexes: compatible with
 * the previous code, which never parks and ignores the column.
 */
export const migration: Migration = {
  version: 10,
  name: 'fair-worker',
  sql: `
    ALTER TABLE tasks ADD COLUMN parked_at timestamptz;
    CREATE INDEX tasks_owner_processing_idx ON tasks (owner_id) WHERE status = 'processing';
    CREATE INDEX tasks_parked_idx ON tasks (owner_id, parked_at, id) WHERE parked_at IS NOT NULL;
  `,
};
