import type { Migration } from '#adapters/pg/migrator';

/**
 * The public gallery (docs/spec.md §5). Published = processed and public; `published_at` is set exactly
 * while a task is published, by a trigger, so every statement that changes `status` or `public`
 * (the worker's, the owner's switch, a seed) keeps it right without knowing about the gallery.
 *
 * Counts are kept by triggers in the transaction of the statement that changes them, never by
 * read-modify-write in the application: a vote row in or out moves `tasks.vote_count` by one
 * (the task row's lock serializes concurrent votes), and any change of a task's vote count or
 * publication moves its owner's `published_votes`/`published_videos` by the difference of what
 * the task contributed before and after. Deleting a task deletes its votes (ON DELETE CASCADE)
 * and takes its contribution away in the same statement.
 */
export const migration: Migration = {
  version: 4,
  name: 'public-gallery',
  sql: `
    ALTER TABLE tasks
      ADD COLUMN public boolean NOT NULL DEFAULT true,
      ADD COLUMN published_at timestamptz,
      ADD COLUMN vote_count integer NOT NULL DEFAULT 0 CHECK (vote_count >= 0);

    ALTER TABLE users
      ADD COLUMN published_votes bigint NOT NULL DEFAULT 0 CHECK (published_votes >= 0),
      ADD COLUMN published_videos integer NOT NULL DEFAULT 0 CHECK (published_videos >= 0);

    CREATE TABLE votes (
      task_id bigint NOT NULL REFERENCES tasks (id) ON DELETE CASCADE,
      user_sub text NOT NULL REFERENCES users (id) ON DELETE CASCADE,
      created_at timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (task_id, user_sub)
    );
    -- Deleting a user finds their votes through this index, not a scan.
    CREATE INDEX votes_user_sub_idx ON votes (user_sub);

    -- The gallery, newest first, as a keyset: (published_at, id) descending.
    CREATE INDEX tasks_published_idx ON tasks (published_at DESC, id DESC) WHERE published_at IS NOT NULL;
    -- The rankings: votes descending, then username; only pilots with a published video.
    CREATE INDEX users_ranking_idx ON users (published_votes DESC, lower(username), id)
      WHERE published_videos > 0;

    -- Millisecond precision: the gallery's cursor carries published_at through JavaScript dates.
    CREATE FUNCTION tasks_publication() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF NEW.status = 'processed' AND NEW.public THEN
        IF TG_OP = 'INSERT' THEN
          NEW.published_at := COALESCE(NEW.published_at, date_trunc('milliseconds', now()));
        ELSIF NOT (OLD.status = 'processed' AND OLD.public) THEN
          NEW.published_at := date_trunc('milliseconds', now());
        END IF;
      ELSE
        NEW.published_at := NULL;
      END IF;
      RETURN NEW;
    END $$;
    CREATE TRIGGER tasks_publication BEFORE INSERT OR UPDATE OF status, public ON tasks
      FOR EACH ROW EXECUTE FUNCTION tasks_publication();

    CREATE FUNCTION tasks_pilot_standing() RETURNS trigger LANGUAGE plpgsql AS $$
    DECLARE
      votes_delta bigint := 0;
      videos_delta integer := 0;
      owner text;
    BEGIN
      IF TG_OP IN ('UPDATE', 'DELETE') AND OLD.published_at IS NOT NULL THEN
        votes_delta := votes_delta - OLD.vote_count;
        videos_delta := videos_delta - 1;
        owner := OLD.owner_id;
      END IF;
      IF TG_OP IN ('UPDATE', 'INSERT') AND NEW.published_at IS NOT NULL THEN
        votes_delta := votes_delta + NEW.vote_count;
        videos_delta := videos_delta + 1;
        owner := NEW.owner_id;
      END IF;
      IF votes_delta <> 0 OR videos_delta <> 0 THEN
        UPDATE users SET published_votes = published_votes + votes_delta,
          published_videos = published_videos + videos_delta
        WHERE id = owner;
      END IF;
      RETURN NULL;
    END $$;
    CREATE TRIGGER tasks_pilot_standing AFTER INSERT OR DELETE ON tasks
      FOR EACH ROW EXECUTE FUNCTION tasks_pilot_standing();
    -- Worker transitions change neither and skip the function call.
    CREATE TRIGGER tasks_pilot_standing_change AFTER UPDATE ON tasks FOR EACH ROW
      WHEN (OLD.published_at IS DISTINCT FROM NEW.published_at OR OLD.vote_count <> NEW.vote_count)
      EXECUTE FUNCTION tasks_pilot_standing();

    -- A vote of a task being deleted finds no row to update: the task's own trigger already took
    -- its whole count away.
    CREATE FUNCTION votes_count() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF TG_OP = 'INSERT' THEN
        UPDATE tasks SET vote_count = vote_count + 1 WHERE id = NEW.task_id;
      ELSE
        UPDATE tasks SET vote_count = vote_count - 1 WHERE id = OLD.task_id;
      END IF;
      RETURN NULL;
    END $$;
    CREATE TRIGGER votes_count AFTER INSERT OR DELETE ON votes
      FOR EACH ROW EXECUTE FUNCTION votes_count();
  `,
};
