import { createServer, type AddressInfo } from 'node:net';
import { inspect } from 'node:util';
import type { Context } from 'aws-lambda';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ServiceUnavailableError } from '#core/errors';
import { ConfigurationError } from '#core/platform-errors';
import { launchMigrations, MigrationFailedError, type LauncherPorts } from '#functions/ops/migrate-launcher';

const PASSWORD = 'Zq7-never-in-a-log-9kX';
const SECRET_ARN = 'arn:aws:secretsmanager:us-east-1:111122223333:secret:master-AbCdEf';
const MASTER_SECRET = JSON.stringify({
  engine: 'postgres',
  host: 'db.internal',
  port: 5432,
  dbname: 'idrl',
  username: 'idrl_admin',
  password: PASSWORD,
});

/** Ports that stand in for Secrets Manager and Lambda, recording what was invoked. */
function fakePorts(answer: { functionError?: string; payload: string }, secret = MASTER_SECRET) {
  const invocations: { functionName: string; payload: string }[] = [];
  const ports: LauncherPorts = {
    readSecret: (arn) => Promise.resolve(arn === SECRET_ARN ? secret : '{}'),
    invoke: (functionName, payload) => {
      invocations.push({ functionName, payload });
      return Promise.resolve(answer);
    },
  };
  return { ports, invocations };
}

const config = { secretArn: SECRET_ARN, migrateFunctionArn: 'idrl-migrate' };

describe('migration launcher (outside the VPC)', () => {
  it('hands only the master username and password to the migrator and returns its result alone', async () => {
    // Prepare
    const { ports, invocations } = fakePorts({ payload: JSON.stringify({ applied: [1], current: 1 }) });

    // Act
    const result = await launchMigrations(config, ports);

    // Assess
    expect(result).toEqual({ applied: [1], current: 1 });
    expect(invocations).toEqual([
      {
        functionName: 'idrl-migrate',
        payload: JSON.stringify({ username: 'idrl_admin', password: PASSWORD }),
      },
    ]);
  });

  it("fails the deploy with the migrator's error, which carries no credentials", async () => {
    // Prepare
    const { ports } = fakePorts({
      functionError: 'Unhandled',
      payload: JSON.stringify({
        errorType: 'MigrationError',
        errorMessage: 'Migration 2 (tasks) failed: syntax error at or near "TABL"',
        trace: [],
      }),
    });

    // Act
    const failure = launchMigrations(config, ports);

    // Assess
    await expect(failure).rejects.toEqual(
      new MigrationFailedError('MigrationError: Migration 2 (tasks) failed: syntax error at or near "TABL"'),
    );
  });

  it.each([
    ['not JSON', `Secret ${SECRET_ARN} is not JSON`],
    [JSON.stringify({ username: 'idrl_admin' }), `Secret ${SECRET_ARN} lacks a username or a password`],
  ])('refuses a malformed secret (%s) without quoting it', async (secret, message) => {
    // Prepare
    const { ports, invocations } = fakePorts({ payload: '{}' }, secret);

    // Act
    const failure = launchMigrations(config, ports);

    // Assess
    await expect(failure).rejects.toEqual(new ConfigurationError(message));
    expect(invocations).toEqual([]);
  });
});

describe('migration function (inside the VPC)', () => {
  // Each test imports the handler afresh: it reads its configuration (and the logger its level) at import.
  beforeEach(() => {
    vi.resetModules();
  });
  afterEach(() => {
    vi.unstubAllEnvs();
    vi.restoreAllMocks();
  });

  /** A port that accepts nothing: bound, then closed. */
  async function closedPort(): Promise<number> {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    await new Promise<void>((resolve) => {
      server.close(() => {
        resolve();
      });
    });
    return port;
  }

  it('logs nothing of the handed-over password, even when the database cannot be reached', async () => {
    // Prepare
    vi.stubEnv('POWERTOOLS_LOG_LEVEL', 'DEBUG');
    vi.stubEnv('DB_MASTER_HANDOFF', 'true');
    vi.stubEnv('DB_HOST', '127.0.0.1');
    vi.stubEnv('DB_PORT', String(await closedPort()));
    vi.stubEnv('DB_NAME', 'idrl');
    vi.stubEnv('DB_USER', 'idrl_app');
    const written: string[] = [];
    const capture = (chunk: unknown): boolean => {
      written.push(String(chunk));
      return true;
    };
    vi.spyOn(process.stdout, 'write').mockImplementation(capture);
    vi.spyOn(process.stderr, 'write').mockImplementation(capture);
    const { handler } = await import('#functions/ops/migrate');

    // Act
    const failure: unknown = await handler({ username: 'idrl_admin', password: PASSWORD }, {
      functionName: 'migrate',
      awsRequestId: 'req-1',
    } as Context).catch((error: unknown) => error);

    // The capture sees what the function's logger writes (else the assertion below could not fail).
    const { logger } = await import('#commons/logger');
    logger.debug('capture check');

    // Assess
    expect(written.join('')).toContain('capture check');
    expect(failure).toEqual(new ServiceUnavailableError('The database is unavailable'));
    expect((failure as Error).cause).toMatchObject({ code: 'ECONNREFUSED' });
    // Everything the runtime could log about the failure: message, stack and causes, all the way down.
    const everything = `${written.join('')}${inspect(failure, { depth: 10 })}`;
    expect(everything).not.toContain(PASSWORD);
  });

  it('refuses an event without credentials, without echoing the event', async () => {
    // Prepare
    vi.stubEnv('DB_MASTER_HANDOFF', 'true');
    vi.stubEnv('DB_HOST', '127.0.0.1');
    vi.stubEnv('DB_NAME', 'idrl');
    vi.stubEnv('DB_USER', 'idrl_app');
    const { handler } = await import('#functions/ops/migrate');

    // Act
    const failure = handler({ username: 'idrl_admin', pass: PASSWORD }, {
      functionName: 'migrate',
    } as Context);

    // Assess
    await expect(failure).rejects.toEqual(
      new ConfigurationError('The migration event must carry the master username and password'),
    );
  });
});
