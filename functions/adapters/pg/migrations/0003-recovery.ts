import type { Migration } from '#adapters/pg/migrator';

/**
 * Recovery (docs/operations.md): why a task failed (a retry helps only when the platform, not the
 * upload, was at fault), how many retries its owner asked for, and a 'deleting' state that a delete
 * passes through so it can be finished after a storage failure. Compatible with the previous code
 * during a deploy: the new columns have defaults or allow NULL, and the previous code never writes
 * 'deleting' (its transitions, all conditional on other states, leave such a row alone).
 */
export const migration: Migration = {
  version: 3,
  name: 'recovery',
  sql: `
    ALTER TABLE tasks DROP CONSTRAINT tasks_status_check;
    ALTER TABLE tasks ADD CONSTRAINT tasks_status_check
      CHECK (status IN ('awaiting_upload', 'uploaded', 'processing', 'processed', 'failed', 'deleting'));
    ALTER TABLE tasks ADD COLUMN failure_kind text
      CHECK (failure_kind IN ('content', 'transient', 'no-upload'));
    ALTER TABLE tasks ADD COLUMN manual_retries integer NOT NULL DEFAULT 0 CHECK (manual_retries >= 0);
    CREATE INDEX tasks_deleting_idx ON tasks (updated_at) WHERE status = 'deleting';
  `,
};
