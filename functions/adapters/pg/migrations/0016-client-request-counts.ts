import type { Migration } from '#adapters/pg/migrator';

/**
 * The API's own per-client limits (docs/infra.md, "Without WAF: the API's own count"): one row per rule, client
 * and fixed window, the client an HMAC of its address (never the address itself). The primary key makes the
 * count one conditional upsert; the window index serves the pruning of windows that are over. A new table:
 * compatible with the previous code, which never reads it.
 */
export const migration: Migration = {
  version: 16,
  name: 'client-request-counts',
  sql: `
    CREATE TABLE client_request_counts (
      rule text NOT NULL,
      client bytea NOT NULL,
      window_start timestamptz NOT NULL,
      requests integer NOT NULL CHECK (requests > 0),
      PRIMARY KEY (rule, client, window_start)
    );
    CREATE INDEX client_request_counts_window_idx ON client_request_counts (rule, window_start);
  `,
};
