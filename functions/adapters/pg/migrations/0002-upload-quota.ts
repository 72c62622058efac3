import type { Migration } from '#adapters/pg/migrator';

/**
 * The declared bytes of every task created, kept when the task is deleted: the daily upload quota
 * counts what a pilot asked to upload in the last 24 h, so deleting tasks cannot reset it. Rows
 * leave with their user, and older than the window they are pruned by the next create.
 */
export const migration: Migration = {
  version: 2,
  name: 'upload-quota',
  sql: `
    CREATE TABLE upload_quota_usage (
      id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      owner_id text NOT NULL REFERENCES users (id) ON DELETE CASCADE,
      declared_bytes bigint NOT NULL CHECK (declared_bytes > 0),
      created_at timestamptz NOT NULL DEFAULT now()
    );

    CREATE INDEX upload_quota_usage_owner_id_created_at_idx ON upload_quota_usage (owner_id, created_at);
  `,
};
