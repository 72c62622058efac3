import type { Migration } from '#adapters/pg/migrator';

/**
 * Rankings by period (docs/spec.md §9, "Seasons"; the design and its measurements in docs/performance.md, "Rankings
 * by period"). A period counts the votes cast from 00:00 UTC of its first day on, so the database keeps:
 *
 * - `pilot_vote_days`: each pilot's counted votes (votes on their published videos) per UTC day of casting. Kept
 *   by triggers in the statement that changes them, as migration 4 keeps `vote_count`: a vote in or out moves its
 *   day by one; a publication change moves every day the video's votes were cast on; deleting a published video
 *   takes its days away before its votes go (ON DELETE CASCADE would run after the task is gone).
 * - `pilot_period_votes`: per tracked first day, each pilot's counted votes cast since then — a period's answer as
 *   one row per pilot, which the rankings join and sort like the all-time counts. `track_vote_period(day)` starts
 *   tracking a day (summing `pilot_vote_days` once) the first time a ranking asks for it, and forgets days no
 *   ranking asked for since yesterday; a change of `pilot_vote_days` moves the counts of every tracked day on or
 *   before it. So the week's and month's first days (one new each per UTC day) and the current season's are
 *   tracked, and a vote updates at most a handful of rows.
 *
 * "Counted" is "published" (`published_at IS NOT NULL`), the one predicate tasks_publication() defines: whatever
 * takes a video out of the gallery takes its votes out of every period too.
 *
 * New tables and triggers only: the previous release's statements run unchanged on this schema (its votes and
 * publication changes are counted by the triggers).
 */
export const migration: Migration = {
  version: 13,
  name: 'ranking-periods',
  sql: `
    CREATE TABLE pilot_vote_days (
      owner_id text NOT NULL REFERENCES users (id) ON DELETE CASCADE,
      day date NOT NULL,
      votes integer NOT NULL CHECK (votes >= 0),
      PRIMARY KEY (owner_id, day)
    );
    -- A period's sum over the days from its first on: an index-only scan of those days.
    CREATE INDEX pilot_vote_days_day_idx ON pilot_vote_days (day, owner_id) INCLUDE (votes);

    CREATE TABLE vote_period_starts (
      starts_on date PRIMARY KEY,
      -- The last UTC day a ranking asked for this first day: the ones nobody asked for since yesterday go.
      read_on date NOT NULL
    );
    CREATE TABLE pilot_period_votes (
      starts_on date NOT NULL REFERENCES vote_period_starts ON DELETE CASCADE,
      owner_id text NOT NULL REFERENCES users (id) ON DELETE CASCADE,
      votes bigint NOT NULL CHECK (votes >= 0),
      PRIMARY KEY (starts_on, owner_id)
    );

    -- Adds delta counted votes to a pilot's day. A decrease only updates: a row already gone went with its user
    -- (ON DELETE CASCADE), whose tasks and votes are on their way out in the same statement.
    CREATE FUNCTION pilot_vote_days_add(pilot text, cast_on date, delta integer) RETURNS void LANGUAGE plpgsql AS $$
    BEGIN
      IF delta > 0 THEN
        INSERT INTO pilot_vote_days AS d (owner_id, day, votes) VALUES (pilot, cast_on, delta)
          ON CONFLICT (owner_id, day) DO UPDATE SET votes = d.votes + EXCLUDED.votes;
      ELSIF delta < 0 THEN
        UPDATE pilot_vote_days SET votes = votes + delta WHERE owner_id = pilot AND day = cast_on;
      END IF;
    END $$;

    -- FOR SHARE reads the task as it is once a concurrent (un)publishing has committed (migration 4's vote_count
    -- update has already locked the row in this statement): a vote counts exactly while its video is published.
    CREATE FUNCTION votes_days() RETURNS trigger LANGUAGE plpgsql AS $$
    DECLARE
      vote votes := CASE WHEN TG_OP = 'INSERT' THEN NEW ELSE OLD END;
      pilot text;
    BEGIN
      SELECT owner_id INTO pilot FROM tasks WHERE id = vote.task_id AND published_at IS NOT NULL FOR SHARE;
      IF FOUND THEN
        PERFORM pilot_vote_days_add(pilot, (vote.created_at AT TIME ZONE 'UTC')::date,
          CASE WHEN TG_OP = 'INSERT' THEN 1 ELSE -1 END);
      END IF;
      RETURN NULL;
    END $$;
    CREATE TRIGGER votes_days AFTER INSERT OR DELETE ON votes FOR EACH ROW EXECUTE FUNCTION votes_days();

    -- A video published moves its votes in, per day cast; unpublished or deleted, out.
    CREATE FUNCTION tasks_vote_days() RETURNS trigger LANGUAGE plpgsql AS $$
    DECLARE
      task tasks := CASE WHEN TG_OP = 'UPDATE' AND NEW.published_at IS NOT NULL THEN NEW ELSE OLD END;
      sign integer := CASE WHEN TG_OP = 'UPDATE' AND NEW.published_at IS NOT NULL THEN 1 ELSE -1 END;
    BEGIN
      PERFORM pilot_vote_days_add(task.owner_id, per_day.cast_on, sign * per_day.votes)
      FROM (SELECT (created_at AT TIME ZONE 'UTC')::date AS cast_on, count(*)::integer AS votes
            FROM votes WHERE task_id = task.id GROUP BY 1) per_day;
      RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NULL END;
    END $$;
    CREATE TRIGGER tasks_vote_days AFTER UPDATE ON tasks FOR EACH ROW
      WHEN ((OLD.published_at IS NULL) <> (NEW.published_at IS NULL)) EXECUTE FUNCTION tasks_vote_days();
    CREATE TRIGGER tasks_vote_days_delete BEFORE DELETE ON tasks FOR EACH ROW
      WHEN (OLD.published_at IS NOT NULL) EXECUTE FUNCTION tasks_vote_days();

    -- Every tracked first day on or before the changed day counts the change.
    CREATE FUNCTION pilot_vote_days_periods() RETURNS trigger LANGUAGE plpgsql AS $$
    DECLARE
      delta bigint := NEW.votes - CASE WHEN TG_OP = 'UPDATE' THEN OLD.votes ELSE 0 END;
    BEGIN
      IF delta > 0 THEN
        INSERT INTO pilot_period_votes AS p (starts_on, owner_id, votes)
          SELECT starts_on, NEW.owner_id, delta FROM vote_period_starts WHERE starts_on <= NEW.day
          ON CONFLICT (starts_on, owner_id) DO UPDATE SET votes = p.votes + EXCLUDED.votes;
      ELSIF delta < 0 THEN
        UPDATE pilot_period_votes SET votes = votes + delta WHERE owner_id = NEW.owner_id AND starts_on <= NEW.day;
      END IF;
      RETURN NULL;
    END $$;
    CREATE TRIGGER pilot_vote_days_periods AFTER INSERT OR UPDATE OF votes ON pilot_vote_days FOR EACH ROW
      EXECUTE FUNCTION pilot_vote_days_periods();

    -- Makes sure a first day's counts exist. The SHARE lock waits for the transactions writing pilot_vote_days
    -- and holds new ones until the counts are in: a change lands either in the sum or, through the trigger above
    -- (which then sees the new day), in the counts, never in neither or both. Once per first day; afterwards a
    -- primary-key look-up (and the day's first read records it was asked for).
    CREATE FUNCTION track_vote_period(first_day date) RETURNS void LANGUAGE plpgsql AS $$
    DECLARE
      today date := (now() AT TIME ZONE 'UTC')::date;
    BEGIN
      UPDATE vote_period_starts SET read_on = today WHERE starts_on = first_day AND read_on < today;
      IF FOUND OR EXISTS (SELECT 1 FROM vote_period_starts WHERE starts_on = first_day) THEN
        RETURN;
      END IF;
      LOCK TABLE pilot_vote_days IN SHARE MODE;
      INSERT INTO vote_period_starts (starts_on, read_on) VALUES (first_day, today) ON CONFLICT DO NOTHING;
      IF NOT FOUND THEN
        RETURN;
      END IF;
      INSERT INTO pilot_period_votes (starts_on, owner_id, votes)
        SELECT first_day, owner_id, sum(votes) FROM pilot_vote_days WHERE day >= first_day GROUP BY owner_id;
      DELETE FROM vote_period_starts WHERE read_on < today - 1;
    END $$;

    INSERT INTO pilot_vote_days (owner_id, day, votes)
      SELECT t.owner_id, (v.created_at AT TIME ZONE 'UTC')::date, count(*)
      FROM votes v JOIN tasks t ON t.id = v.task_id WHERE t.published_at IS NOT NULL GROUP BY 1, 2;
  `,
};
