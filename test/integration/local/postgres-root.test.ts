import { chmod, mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalStackConfigError } from '#infra/local/errors';
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
  it('refuses a state folder under a 0700 folder before initdb, with the fix in one line', async () => {
    // Prepare: a clone-like layout under a folder only root can enter, as root's home is.
    const home = join(base, 'home');
    await mkdir(home, { mode: 0o700 });
    await chmod(home, 0o700);
    const stateDir = join(home, 'clone', '.local');

    // Act
    const start = startPostgres({ port: await freePort(), stateDir, database: 'idrl' });

    // Assess
    const error: unknown = await start.catch((thrown: unknown) => thrown);
    expect(error).toBeInstanceOf(LocalStackConfigError);
    expect(error).toEqual(
      new LocalStackConfigError(
        `As root, PostgreSQL runs as the postgres user, who cannot enter ${home} (on the way to ${join(stateDir, 'postgres')}): set LOCAL_STATE_DIR to a folder other users can enter (e.g. /var/tmp/idrl), or set DATABASE_URL to an existing server.`,
      ),
    );
  });
});
