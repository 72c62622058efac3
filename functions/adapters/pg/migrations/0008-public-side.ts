import type { Migration } from '#adapters/pg/migrator';

/**
 * The league's public side (docs/spec.md §9).
 *
 * Pilot pages: two indexes, the pilot by lower(username) and their published videos by (owner, published_at, id).
 *
 * Titles: every task has one (1–80 characters; the API also refuses control characters). Tasks from before, and
 * tasks the previous release inserts, get the default a new task gets: the file name without its extension.
 *
 * Republishing keeps the first publication time: `first_published_at` is set the first time a task is published
 * and never cleared, and `published_at` (still non-null exactly while the task is published, the one predicate
 * every public query uses) is that first time whenever the task is published again. The gallery keeps ordering
 * by (published_at, id) through the same keyset index: a republished video returns to its first place instead of
 * jumping to the top, and a cursor handed out before stays a valid position.
 */
export const migration: Migration = {
  version: 8,
  name: 'public-side',
  sql: `
    ALTER TABLE tasks
      ADD COLUMN title text CONSTRAINT tasks_title_length CHECK (char_length(title) BETWEEN 1 AND 80),
      ADD COLUMN first_published_at timestamptz;

    -- defaultTitle of functions/core/task.ts: the file name without its extension (a leading dot is no extension).
    CREATE FUNCTION file_title(file_name text) RETURNS text LANGUAGE sql IMMUTABLE AS $$
      SELECT left(coalesce(nullif(btrim(regexp_replace(file_name, '(.)\\.[^.]*$', '\\1')), ''), btrim(file_name)), 80)
    $$;
    -- The column stays nullable so the previous release, which inserts no title, runs on this schema
    -- (docs/spec.md §7.5); this trigger gives its rows the default, so no row is ever without a title.
    CREATE FUNCTION tasks_default_title() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      NEW.title := file_title(NEW.file_name);
      RETURN NEW;
    END $$;
    CREATE TRIGGER tasks_default_title BEFORE INSERT ON tasks FOR EACH ROW WHEN (NEW.title IS NULL)
      EXECUTE FUNCTION tasks_default_title();
    UPDATE tasks SET title = file_title(file_name) WHERE title IS NULL;
    UPDATE tasks SET first_published_at = published_at WHERE published_at IS NOT NULL;

    -- Pilot pages: the pilot by name, case-insensitively (not unique here: Cognito owns uniqueness, and a
    -- deleted account's row may outlive it), and their published videos newest first as a keyset.
    CREATE INDEX users_lower_username_idx ON users (lower(username));
    CREATE INDEX tasks_owner_published_idx ON tasks (owner_id, published_at DESC, id DESC)
      WHERE published_at IS NOT NULL;

    CREATE OR REPLACE FUNCTION tasks_publication() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF NEW.status = 'processed' AND NEW.public THEN
        IF TG_OP = 'INSERT' THEN
          NEW.published_at := COALESCE(NEW.published_at, date_trunc('milliseconds', now()));
          NEW.first_published_at := COALESCE(NEW.first_published_at, NEW.published_at);
        ELSIF NOT (OLD.status = 'processed' AND OLD.public) THEN
          NEW.first_published_at := COALESCE(OLD.first_published_at, date_trunc('milliseconds', now()));
          NEW.published_at := NEW.first_published_at;
        END IF;
      ELSE
        NEW.published_at := NULL;
      END IF;
      RETURN NEW;
    END $$;
  `,
};
