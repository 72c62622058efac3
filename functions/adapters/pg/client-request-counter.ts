import type pg from 'pg';
import { ALWAYS_ON, queryRows, type PgQueryOptions } from '#adapters/pg/query';
import type { ClientRequestCounter } from '#core/per-client-limit';

/** The per-client counts in PostgreSQL (migration 16). */
export class PgClientRequestCounter implements ClientRequestCounter {
  constructor(
    private readonly pool: Pick<pg.Pool, 'query'>,
    private readonly options: PgQueryOptions = ALWAYS_ON,
  ) {}

  async take(request: {
    rule: string;
    client: Buffer;
    windowStart: Date;
    limit: number;
  }): Promise<number | null> {
    // One statement: the insert or the conditional increment holds the row's lock, so concurrent requests of
    // one client are counted one after the other and never pass the limit; at the limit no row is returned.
    const [row] = await queryRows<{ requests: number }>(
      this.pool,
      `INSERT INTO client_request_counts AS c (rule, client, window_start, requests) VALUES ($1, $2, $3, 1)
       ON CONFLICT (rule, client, window_start) DO UPDATE SET requests = c.requests + 1 WHERE c.requests < $4
       RETURNING requests`,
      [request.rule, request.client, request.windowStart, request.limit],
      this.options,
    );
    return row === undefined ? null : row.requests;
  }

  async prune(rule: string, before: Date): Promise<void> {
    await queryRows(
      this.pool,
      'DELETE FROM client_request_counts WHERE rule = $1 AND window_start < $2',
      [rule, before],
      this.options,
    );
  }
}
