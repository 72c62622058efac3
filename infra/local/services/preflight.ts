/**
 * Network and folder helpers of the local services. The checks run before any service starts, so bad configuration ends in one clear message
 * instead of a stack trace from deep inside a library (s3rver, for one, crashes the process
 * on EADDRINUSE because it never listens for the server's 'error' event).
 */
import { constants } from 'node:fs';
import { access, chmod, mkdir, stat } from 'node:fs/promises';
import type { Server } from 'node:http';
import { createServer } from 'node:net';
import { dirname, parse, resolve } from 'node:path';
import { LocalStackConfigError } from '../errors';

export const LOOPBACK = '127.0.0.1';

function listenOnce(port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(port, LOOPBACK, () => {
      const address = server.address();
      const bound = typeof address === 'object' && address ? address.port : port;
      server.close(() => {
        resolve(bound);
      });
    });
  });
}

/** Throws LocalStackConfigError when `port` cannot be bound on loopback. */
export async function assertPortFree(port: number, what: string, hint: string): Promise<void> {
  try {
    await listenOnce(port);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const reason = code === 'EADDRINUSE' ? 'is already in use' : `cannot be bound (${code ?? String(error)})`;
    throw new LocalStackConfigError(`Port ${port} for ${what} ${reason}. ${hint}`, { cause: error });
  }
}

/** A port that is free right now (tests use these so they never collide with `npm start`). */
export function freePort(): Promise<number> {
  return listenOnce(0);
}

/** Closes an HTTP server, dropping idle keep-alive connections instead of waiting for them. */
export function closeServer(server: Server): Promise<void> {
  return new Promise((resolve, reject) => {
    server.close((error) => {
      if (error) reject(error);
      else resolve();
    });
    server.closeAllConnections();
  });
}

/**
 * Creates the state directory and checks it is writable. As root, PostgreSQL runs as the
 * `postgres` user, which must be able to traverse into it (mkdtemp creates 0700 folders).
 */
export async function ensureStateDir(dir: string): Promise<void> {
  try {
    await mkdir(dir, { recursive: true });
    await access(dir, constants.W_OK);
    if (process.getuid?.() === 0) await chmod(dir, 0o755);
  } catch (error) {
    throw new LocalStackConfigError(
      `State folder ${dir} is not writable (${(error as Error).message}). Set LOCAL_STATE_DIR to a writable folder.`,
      {
        cause: error,
      },
    );
  }
}

/** The path and every folder above it, from the file system root down. */
function pathFromRoot(path: string): string[] {
  const chain = [resolve(path)];
  while (chain[0] !== parse(chain[0] ?? '').root) chain.unshift(dirname(chain[0] ?? ''));
  return chain;
}

/**
 * The first folder on the way to `path` (itself included) that a user other than its owner and
 * group cannot enter (no `x` for others), or null when every one is open. Missing folders end the
 * walk: whoever creates them decides their mode.
 */
export async function firstClosedFolder(path: string): Promise<string | null> {
  for (const folder of pathFromRoot(path)) {
    const mode = await stat(folder).then(
      (found) => found.mode,
      () => null,
    );
    if (mode === null) return null;
    if ((mode & 0o001) === 0) return folder;
  }
  return null;
}
