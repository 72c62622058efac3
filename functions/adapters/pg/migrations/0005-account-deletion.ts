import type { Migration } from '#adapters/pg/migrator';

/**
 * Deleted accounts (docs/api.md, "Deleting an account"): an access token stays valid for up to an hour after
 * its Cognito user is gone, so the deletion records the identity here and ensureUser refuses it; without this
 * a task or vote in that hour would bring the pilot's users row back. Only the sub is kept (an opaque id
 * Cognito never reuses), never a name or an email; rows are never pruned, at a few dozen bytes each.
 */
export const migration: Migration = {
  version: 5,
  name: 'account-deletion',
  sql: `
    CREATE TABLE deleted_users (
      id text PRIMARY KEY,
      deleted_at timestamptz NOT NULL DEFAULT now()
    );
  `,
};
