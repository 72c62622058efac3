import type pg from 'pg';
import { describe, expect, it } from 'vitest';
import { PgTaskRepository } from '#adapters/pg/task-repository';
import { DatabaseResumingError, ServiceUnavailableError } from '#core/errors';

/** What Aurora (or any PostgreSQL) answers while it starts up: SQLSTATE 57P03, cannot_connect_now. */
const startingUp = Object.assign(new Error('the database system is starting up'), { code: '57P03' });
const connectTimeout = new Error('timeout exceeded when trying to connect');

/** A pool whose first `failures` queries fail with `error`, then answer `rows`; it counts the attempts. */
function flakyPool(failures: number, error: Error, rows: unknown[] = [{ id: '7' }]) {
  let attempts = 0;
  const pool = {
    // The statements under test run on the pool; only a task creation takes a client of its own.
    connect: () => Promise.reject(new Error('connect is not used by these tests')),
    query: (): Promise<{ rows: unknown[] }> => {
      attempts += 1;
      return attempts <= failures ? Promise.reject(error) : Promise.resolve({ rows });
    },
  } as unknown as Pick<pg.Pool, 'query' | 'connect'>;
  return { pool, attempts: () => attempts };
}

/** A clock that only the fake sleep moves: no real time passes in these tests. */
function fakeTime() {
  let now = 0;
  const sleeps: number[] = [];
  return {
    now: () => now,
    sleep: (ms: number) => {
      sleeps.push(ms);
      now += ms;
      return Promise.resolve();
    },
    sleeps,
  };
}

function repository(
  pool: Pick<pg.Pool, 'query' | 'connect'>,
  autoPause: boolean,
  waitMs: number,
  time = fakeTime(),
) {
  return new PgTaskRepository(pool, { autoPause, resume: { waitMs, retryDelayMs: 1_000, ...time } });
}

describe('PgTaskRepository while the database resumes', () => {
  it('retries a statement refused with 57P03 and answers once the database is up', async () => {
    // Prepare
    const { pool, attempts } = flakyPool(3, startingUp);
    const time = fakeTime();

    // Act
    const expired = (await repository(pool, true, 15_000, time).failStalledTasks(600, 'gone')).length;

    // Assess
    expect({ expired, attempts: attempts(), sleeps: time.sleeps }).toEqual({
      expired: 1,
      attempts: 4,
      sleeps: [1_000, 1_000, 1_000],
    });
  });

  it('treats a connection timeout as resuming when the database pauses', async () => {
    // Prepare
    const { pool, attempts } = flakyPool(2, connectTimeout);

    // Act
    const expired = (await repository(pool, true, 15_000).failStalledTasks(600, 'gone')).length;

    // Assess
    expect({ expired, attempts: attempts() }).toEqual({ expired: 1, attempts: 3 });
  });

  it('gives up when the wait is spent, with the resuming error (503 + Retry-After at the edge)', async () => {
    // Prepare
    const { pool, attempts } = flakyPool(100, startingUp);
    const time = fakeTime();

    // Act
    const failure = repository(pool, true, 15_000, time).failStalledTasks(600, 'gone');

    // Assess
    await expect(failure).rejects.toBeInstanceOf(DatabaseResumingError);
    expect({ attempts: attempts(), waited: time.now() }).toEqual({ attempts: 16, waited: 15_000 });
  });

  it('does not wait on a database that does not pause: a connection timeout is "unreachable", at once', async () => {
    // Prepare
    const { pool, attempts } = flakyPool(1, connectTimeout);

    // Act
    const failure = repository(pool, false, 15_000).failStalledTasks(600, 'gone');

    // Assess
    await expect(failure).rejects.toEqual(new ServiceUnavailableError('The database is unavailable'));
    await expect(failure).rejects.not.toBeInstanceOf(DatabaseResumingError);
    expect(attempts()).toBe(1);
  });

  it('never retries a statement that failed for another reason', async () => {
    // Prepare
    const syntax = Object.assign(new Error('syntax error'), { code: '42601' });
    const { pool, attempts } = flakyPool(1, syntax);

    // Act
    const failure = repository(pool, true, 15_000).failStalledTasks(600, 'gone');

    // Assess
    await expect(failure).rejects.toBe(syntax);
    expect(attempts()).toBe(1);
  });

  it('pings once, without waiting, so health reports "resuming" while the database wakes', async () => {
    // Prepare
    const { pool, attempts } = flakyPool(1, startingUp);

    // Act
    const failure = repository(pool, true, 15_000).ping();

    // Assess
    await expect(failure).rejects.toBeInstanceOf(DatabaseResumingError);
    expect(attempts()).toBe(1);
  });
});
