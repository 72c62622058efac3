import type { Migration } from '#adapters/pg/migrator';

/**
 * Verified email (docs/spec.md §7, docs/api.md "Verifying the email").
 *
 * `users.email_verified_at` mirrors Cognito's `email_verified` (NULL: unverified), so the in-VPC vote and the
 * publication trigger can read it without Cognito. Every row that exists before this migration is backfilled as
 * verified: the previous signup created every account with `email_verified=true`.
 *
 * `email_verification_codes`: the pilot's current code (one per account), only as a SHA-256 hash, with its expiry,
 * the wrong attempts so far, when it was sent and how many were sent in the day (the resend throttle). Deleted
 * with the user, and when the email is verified.
 *
 * `tasks_publication()`, from 0008's body, with one more predicate: a task is published only while its owner's email
 * is verified. Verification re-evaluates the pilot's tasks (functions/adapters/pg/email-code-repository.ts).
 */
export const migration: Migration = {
  version: 11,
  name: 'verified-email',
  sql: `
    ALTER TABLE users ADD COLUMN email_verified_at timestamptz;
    UPDATE users SET email_verified_at = created_at;

    CREATE TABLE email_verification_codes (
      user_sub text PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
      code_hash bytea NOT NULL,
      expires_at timestamptz NOT NULL,
      attempts integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
      sent_at timestamptz NOT NULL,
      -- The daily cap: codes sent since window_started_at (a window of 24 hours).
      window_started_at timestamptz NOT NULL,
      sends integer NOT NULL CHECK (sends >= 1)
    );

    CREATE OR REPLACE FUNCTION tasks_publication() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF NEW.status = 'processed' AND NEW.public
         AND EXISTS (SELECT 1 FROM users WHERE id = NEW.owner_id AND email_verified_at IS NOT NULL) THEN
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
  `,
};
