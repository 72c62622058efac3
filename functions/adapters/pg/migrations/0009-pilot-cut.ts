import type { Migration } from '#adapters/pg/migrator';

/**
 * The pilot's cut (docs/spec.md §8): where the clip starts, the poster's offset inside it, and the edit's
 * revision (1 for the first edit, +1 per re-cut), which the worker's transitions compare so a late message of an
 * older revision records nothing. `recuts` holds one row per accepted re-cut for the per-pilot daily limit; rows
 * older than a day are removed by the statement that counts them. Defaulted columns: compatible with the previous
 * code, and every existing task is revision 1 of the first 16 s.
 */
export const migration: Migration = {
  version: 9,
  name: 'pilot-cut',
  sql: `
    ALTER TABLE tasks
      ADD COLUMN clip_start_seconds double precision NOT NULL DEFAULT 0 CHECK (clip_start_seconds >= 0),
      ADD COLUMN poster_seconds double precision NOT NULL DEFAULT 0 CHECK (poster_seconds >= 0),
      ADD COLUMN revision integer NOT NULL DEFAULT 1 CHECK (revision >= 1);

    CREATE TABLE recuts (
      id bigserial PRIMARY KEY,
      owner_id text NOT NULL REFERENCES users (id) ON DELETE CASCADE,
      created_at timestamptz NOT NULL DEFAULT now()
    );
    CREATE INDEX recuts_owner_idx ON recuts (owner_id, created_at);
  `,
};
