import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { afterAll, afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { invokeOutsideContract } from '#test/helpers/api-gateway';

// Sees the server's side: which sessions are open, by the application_name each test gives its pool.
const observer = new pg.Pool({ connectionString: process.env.DATABASE_URL, max: 1 });
afterAll(() => observer.end());

async function openSessions(applicationName: string): Promise<number> {
  const { rows } = await observer.query<{ count: string }>(
    'SELECT count(*) FROM pg_stat_activity WHERE application_name = $1',
    [applicationName],
  );
  return Number(rows[0]?.count);
}

/** A route like every database route: apiHandler around a query on the function's shared pool. */
async function databaseRoute(autoPause: boolean) {
  const applicationName = `idrl-pause-${randomUUID()}`;
  const url = new URL(process.env.DATABASE_URL ?? '');
  url.searchParams.set('application_name', applicationName);
  vi.stubEnv('DATABASE_URL', url.toString());
  vi.stubEnv('DB_AUTO_PAUSE', String(autoPause));
  // Fresh modules: the pool and the end-of-invocation tasks are per function instance.
  const { apiHandler } = await import('#commons/http');
  const { databasePool } = await import('#commons/clients');
  const handler = apiHandler(async () => {
    const { rows } = await databasePool().query<{ answer: number }>('SELECT 42 AS answer');
    return { statusCode: 200, body: rows[0] };
  });
  return { handler, applicationName, pool: databasePool };
}

describe('connections on a database that pauses when idle', () => {
  beforeEach(() => {
    vi.resetModules();
  });
  afterEach(() => {
    vi.unstubAllEnvs();
  });

  it('closes the connection before the invocation ends, so a frozen warm instance holds none', async () => {
    // Prepare
    const { handler, applicationName } = await databaseRoute(true);

    // Act
    const first = await invokeOutsideContract(handler, { method: 'GET', route: '/api/x' });
    const afterFirst = await openSessions(applicationName);
    const second = await invokeOutsideContract(handler, { method: 'GET', route: '/api/x' });

    // Assess
    expect({
      first: first.body,
      second: second.body,
      afterFirst,
      afterSecond: await openSessions(applicationName),
    }).toEqual({
      first: { answer: 42 },
      second: { answer: 42 },
      afterFirst: 0,
      afterSecond: 0,
    });
  });

  it('keeps the warm connection on a database that does not pause (the check above can fail)', async () => {
    // Prepare
    const { handler, applicationName, pool } = await databaseRoute(false);

    // Act
    await invokeOutsideContract(handler, { method: 'GET', route: '/api/x' });

    // Assess
    expect(await openSessions(applicationName)).toBe(1);
    await pool().end();
  });
});
