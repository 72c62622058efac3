import type { Migration } from '#adapters/pg/migrator';

/**
 * Single-use upload grants (docs/worker.md, "Single-use uploads"): `original_version_id` is the S3 version of the
 * upload the task recorded first (set with the move out of 'awaiting_upload', never changed afterwards); every read
 * of the original names it, and any other version of the key is deleted by the worker. `upload_quota_usage.replay`
 * names such a replayed version (`<key>?versionId=<id>`): its bytes count against the pilot's daily bytes once,
 * however often its notification is delivered. Nullable columns and a partial index: compatible with the previous
 * code, which never sets them (a NULL version reads the key's current version, as before).
 */
export const migration: Migration = {
  version: 15,
  name: 'single-use-uploads',
  sql: `
    ALTER TABLE tasks ADD COLUMN original_version_id text;
    ALTER TABLE upload_quota_usage ADD COLUMN replay text;
    CREATE UNIQUE INDEX upload_quota_usage_replay_idx ON upload_quota_usage (replay) WHERE replay IS NOT NULL;
  `,
};
