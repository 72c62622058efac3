import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { securityHeaders } from '#commons/http';
import { invoke } from '#test/helpers/api-gateway';
import { resumingPostgres, type ResumingPostgres } from '#test/helpers/resuming-postgres';

const caller = { sub: 'sub-resume', username: 'resume-pilot' };
let database: ResumingPostgres | undefined;

/** Points a fresh module graph (a cold function instance) at a database that refuses `refusals` connections. */
async function resumingDatabase(refusals: number, waitSeconds: number): Promise<ResumingPostgres> {
  const real = new URL(process.env.DATABASE_URL ?? '');
  database = await resumingPostgres({ host: real.hostname, port: Number(real.port) }, refusals);
  const url = new URL(real);
  url.host = `127.0.0.1:${database.port}`;
  vi.stubEnv('DATABASE_URL', url.toString());
  vi.stubEnv('DB_AUTO_PAUSE', 'true');
  vi.stubEnv('DB_RESUME_WAIT_SECONDS', String(waitSeconds));
  return database;
}

describe('the first requests after the database paused', () => {
  beforeEach(() => {
    vi.resetModules();
  });
  afterEach(async () => {
    vi.unstubAllEnvs();
    await database?.close();
  });

  it('wait for the resume and answer normally', async () => {
    // Prepare
    const resuming = await resumingDatabase(2, 15);
    const { handler } = await import('#functions/api/list-tasks');

    // Act
    const response = await invoke(handler, { method: 'GET', route: '/api/tasks', caller });

    // Assess
    expect(response).toEqual({ statusCode: 200, headers: securityHeaders, body: { data: [] } });
    // Two refused, then one connection for the request (closed again at the end: the database may pause).
    expect(resuming.connections()).toBe(3);
  });

  it('answer 503 with Retry-After and the JSON error when the resume outlasts the wait', async () => {
    // Prepare
    await resumingDatabase(1_000, 1);
    const { handler } = await import('#functions/api/list-tasks');

    // Act
    const response = await invoke(handler, { method: 'GET', route: '/api/tasks', caller });

    // Assess
    expect(response).toEqual({
      statusCode: 503,
      headers: { ...securityHeaders, 'retry-after': '5' },
      body: { message: 'The database is waking up. Try again in a few seconds.' },
    });
  });

  it('make GET /api/health report the database as resuming, without waiting', async () => {
    // Prepare
    const resuming = await resumingDatabase(1, 15);
    const { handler } = await import('#functions/api/health');

    // Act
    const first = await invoke(handler, { method: 'GET', route: '/api/health' });
    const second = await invoke(handler, { method: 'GET', route: '/api/health' });

    // Assess
    expect({ first, second, connections: resuming.connections() }).toEqual({
      first: {
        statusCode: 503,
        headers: { ...securityHeaders, 'retry-after': '5' },
        body: { status: 'unavailable', database: 'resuming' },
      },
      second: { statusCode: 200, headers: securityHeaders, body: { status: 'ok', database: 'ok' } },
      connections: 2,
    });
  });
});
