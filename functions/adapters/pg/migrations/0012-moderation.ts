import type { Migration } from '#adapters/pg/migrator';

/**
 * Moderation (docs/spec.md §10, docs/api.md "Moderation").
 *
 * Hidden videos: `hidden_at`/`hidden_reason` on the task. A suspended pilot: `suspended_at`/`suspension_reason` on
 * the user. Both leave "published" in the one predicate every public query uses, `published_at IS NOT NULL`: the
 * publication trigger (0004, 0008) now also requires "not hidden by the league" and "owner not suspended", so the
 * gallery, pilot pages, share pages and the rankings of every period drop such videos and their votes through the
 * counts the triggers already keep (0004), and bring them back, with their first publication time, on restore.
 * A suspension change re-runs the trigger on the pilot's tasks (users_suspension below).
 *
 * Votes of a suspended pilot stop counting by leaving the votes table for `withheld_votes` in the suspension's own
 * statement, and come back on reinstatement: `votes` stays exactly the counted votes, so every count and every
 * query over votes (a period's, a pilot's) is right without knowing about suspension. A vote racing a suspension
 * is serialized on the voter's users row (votes_voter_standing takes it FOR SHARE; the suspension updates it), so
 * none slips in after its owner's votes were moved. Annulling deletes from both tables; the 0004 triggers keep
 * the counts exact under concurrency as for any withdrawal.
 *
 * Reports: one per pilot per video (the primary key answers the second with 23505 → 409). Deleting the reporter or
 * the video deletes the report. The audit log is append-only: a trigger refuses UPDATE, DELETE and TRUNCATE for
 * every role, and the application's role is also refused them by privilege (grantApplicationRole). It names admins
 * and pilots by username, never by email.
 *
 * Reports require a verified email: `users.email_verified_at` (0011), which "published" keeps requiring too.
 */
export const migration: Migration = {
  version: 12,
  name: 'moderation',
  sql: `
    ALTER TABLE users
      ADD COLUMN suspended_at timestamptz,
      ADD COLUMN suspension_reason text,
      ADD CONSTRAINT users_suspension CHECK ((suspended_at IS NULL) = (suspension_reason IS NULL));
    ALTER TABLE tasks
      ADD COLUMN hidden_at timestamptz,
      ADD COLUMN hidden_reason text,
      ADD CONSTRAINT tasks_hidden CHECK ((hidden_at IS NULL) = (hidden_reason IS NULL));

    CREATE TABLE withheld_votes (
      task_id bigint NOT NULL REFERENCES tasks (id) ON DELETE CASCADE,
      user_sub text NOT NULL REFERENCES users (id) ON DELETE CASCADE,
      created_at timestamptz NOT NULL,
      PRIMARY KEY (task_id, user_sub)
    );
    CREATE INDEX withheld_votes_user_sub_idx ON withheld_votes (user_sub);

    CREATE TABLE reports (
      task_id bigint NOT NULL REFERENCES tasks (id) ON DELETE CASCADE,
      reporter_sub text NOT NULL REFERENCES users (id) ON DELETE CASCADE,
      reason text NOT NULL CHECK (reason IN ('spam', 'abuse', 'not-a-race', 'other')),
      text text CHECK (char_length(text) BETWEEN 1 AND 500),
      created_at timestamptz NOT NULL DEFAULT date_trunc('milliseconds', now()),
      -- Set when an admin hides the video: the report was acted on and leaves the open queue.
      closed_at timestamptz,
      PRIMARY KEY (task_id, reporter_sub)
    );
    -- The open queue, oldest first; a reporter's reports of the last day (their daily limit).
    CREATE INDEX reports_open_idx ON reports (created_at, task_id) WHERE closed_at IS NULL;
    CREATE INDEX reports_reporter_idx ON reports (reporter_sub, created_at);

    CREATE TABLE audit_log (
      id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      at timestamptz NOT NULL DEFAULT date_trunc('milliseconds', now()),
      admin_username text NOT NULL,
      action text NOT NULL CHECK (action IN ('hide', 'restore', 'suspend', 'reinstate', 'annul-votes')),
      target_kind text NOT NULL CHECK (target_kind IN ('video', 'pilot')),
      target text NOT NULL,
      reason text,
      -- What the action changed, e.g. how many votes an annulment deleted.
      detail jsonb
    );
    CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      RAISE EXCEPTION 'audit_log is append-only' USING ERRCODE = 'insufficient_privilege';
    END $$;
    CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON audit_log
      FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only();

    -- 0011's body (0008's, with a verified owner); "published" now also needs the league's consent (not hidden,
    -- owner not suspended).
    CREATE OR REPLACE FUNCTION tasks_publication() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF NEW.status = 'processed' AND NEW.public AND NEW.hidden_at IS NULL
        AND EXISTS (
          SELECT 1 FROM users u
          WHERE u.id = NEW.owner_id AND u.email_verified_at IS NOT NULL AND u.suspended_at IS NULL
        ) THEN
        IF TG_OP = 'INSERT' THEN
          NEW.published_at := COALESCE(NEW.published_at, date_trunc('milliseconds', now()));
          NEW.first_published_at := COALESCE(NEW.first_published_at, NEW.published_at);
        ELSIF OLD.published_at IS NULL THEN
          NEW.first_published_at := COALESCE(OLD.first_published_at, date_trunc('milliseconds', now()));
          NEW.published_at := NEW.first_published_at;
        END IF;
      ELSE
        NEW.published_at := NULL;
      END IF;
      RETURN NEW;
    END $$;
    -- Replaced in place (PostgreSQL 14+), never dropped: the previous release's writes meet a trigger at every moment.
    CREATE OR REPLACE TRIGGER tasks_publication BEFORE INSERT OR UPDATE OF status, public, hidden_at ON tasks
      FOR EACH ROW EXECUTE FUNCTION tasks_publication();

    -- Suspending or reinstating: the pilot's tasks are re-evaluated by tasks_publication (assigning hidden_at to
    -- itself names the column the trigger listens to, changing nothing), and their votes leave or rejoin the count.
    CREATE FUNCTION users_suspension() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      UPDATE tasks SET hidden_at = hidden_at WHERE owner_id = NEW.id;
      IF NEW.suspended_at IS NOT NULL THEN
        WITH moved AS (DELETE FROM votes WHERE user_sub = NEW.id RETURNING task_id, user_sub, created_at)
        INSERT INTO withheld_votes (task_id, user_sub, created_at) SELECT task_id, user_sub, created_at FROM moved;
      ELSE
        WITH moved AS (DELETE FROM withheld_votes WHERE user_sub = NEW.id RETURNING task_id, user_sub, created_at)
        INSERT INTO votes (task_id, user_sub, created_at) SELECT task_id, user_sub, created_at FROM moved;
      END IF;
      RETURN NULL;
    END $$;
    CREATE TRIGGER users_suspension AFTER UPDATE OF suspended_at ON users FOR EACH ROW
      WHEN ((OLD.suspended_at IS NULL) <> (NEW.suspended_at IS NULL))
      EXECUTE FUNCTION users_suspension();

    -- A suspended pilot's access token outlives the suspension by up to its lifetime: no vote of theirs counts.
    -- Reinstating moves the votes back after suspended_at is cleared, so they pass.
    CREATE FUNCTION votes_voter_standing() RETURNS trigger LANGUAGE plpgsql AS $$
    DECLARE
      suspended timestamptz;
    BEGIN
      SELECT suspended_at INTO suspended FROM users WHERE id = NEW.user_sub FOR SHARE;
      IF suspended IS NOT NULL THEN
        RAISE EXCEPTION 'The voter is suspended' USING ERRCODE = 'IDR01';
      END IF;
      RETURN NEW;
    END $$;
    CREATE TRIGGER votes_voter_standing BEFORE INSERT ON votes FOR EACH ROW
      EXECUTE FUNCTION votes_voter_standing();
  `,
};
