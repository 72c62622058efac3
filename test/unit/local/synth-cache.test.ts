import { spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, readdir, readFile, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { STACK_TEMPLATE, pruneOld, pruneUnusedAssets, stageSiblingAssets } from '#infra/local/template/synth';

const ASSETS_FILE = STACK_TEMPLATE.replace('.template.json', '.assets.json');
let cacheDir: string;

beforeEach(async () => {
  cacheDir = await mkdtemp(path.join(tmpdir(), 'idrl-synth-cache-'));
});

afterEach(async () => {
  await rm(cacheDir, { recursive: true, force: true });
});

/** A complete cached assembly built from `sources`, holding these asset folders (each with one file). */
async function assembly(name: string, sources: string | undefined, assets: string[]): Promise<void> {
  const dir = path.join(cacheDir, name);
  await mkdir(dir, { recursive: true });
  await writeFile(path.join(dir, 'manifest.json'), '{}');
  await writeFile(path.join(dir, STACK_TEMPLATE), '{}');
  if (sources !== undefined) await writeFile(path.join(dir, 'bundle-sources'), sources);
  for (const asset of assets) {
    await mkdir(path.join(dir, asset));
    await writeFile(path.join(dir, asset, 'index.mjs'), `// ${name} ${asset}`);
  }
}

describe('the synth cache reusing the bundles of other configurations', () => {
  it('stages the asset folders of complete assemblies of the same sources only, each once', async () => {
    // Prepare: two configurations of the sources "s1", one of "s2", one unmarked (older cache), one incomplete.
    await assembly('default', 's1', ['asset.a', 'asset.b']);
    await assembly('serverless', 's1', ['asset.b', 'asset.c']);
    await assembly('other-sources', 's2', ['asset.z']);
    await assembly('unmarked', undefined, ['asset.y']);
    await mkdir(path.join(cacheDir, 'incomplete', 'asset.x'), { recursive: true });
    await writeFile(path.join(cacheDir, 'incomplete', 'bundle-sources'), 's1');
    const outdir = path.join(cacheDir, 'staging.tmp');
    await mkdir(outdir);

    // Act
    const staged = await stageSiblingAssets(cacheDir, outdir, 's1');

    // Assess
    expect(staged).toBe(3);
    expect((await readdir(outdir)).sort()).toEqual(['asset.a', 'asset.b', 'asset.c']);
    expect(await readFile(path.join(outdir, 'asset.a', 'index.mjs'), 'utf8')).toBe('// default asset.a');
  });

  it('removes the staged folders the synthesized stack does not use, and keeps the ones it does', async () => {
    // Prepare: an assembly whose assets manifest uses asset.a (a bundle) and the template; asset.c came from a
    // configuration with a function this one lacks.
    const outdir = path.join(cacheDir, 'staging.tmp');
    await mkdir(path.join(outdir, 'asset.a'), { recursive: true });
    await mkdir(path.join(outdir, 'asset.c'));
    await writeFile(
      path.join(outdir, ASSETS_FILE),
      JSON.stringify({
        files: {
          a: { source: { path: 'asset.a', packaging: 'zip' } },
          t: { source: { path: STACK_TEMPLATE, packaging: 'file' } },
        },
      }),
    );

    // Act
    await pruneUnusedAssets(outdir);

    // Assess
    expect((await readdir(outdir)).sort()).toEqual(['IdrlVideoPlatform.assets.json', 'asset.a']);
  });
});

describe('the synth cache pruning old assemblies', () => {
  it('keeps the four most recent besides the current one and any a live process uses; drops dead staging', async () => {
    // Prepare: eight assemblies made a minute apart (key 0 the oldest, key 7 the current one); key 0 is used by
    // this process, key 1 was used by a process that has exited.
    const keys = Array.from({ length: 8 }, (_, index) => String(index).repeat(24));
    for (const [index, key] of keys.entries()) {
      await assembly(key, 's1', []);
      const made = new Date(Date.UTC(2026, 11, 7, 12, index));
      await utimes(path.join(cacheDir, key), made, made);
    }
    const exited = spawnSync(process.execPath, ['-e', '']).pid;
    await writeFile(path.join(cacheDir, `${keys[0] ?? ''}.in-use-${process.pid}`), '');
    await writeFile(path.join(cacheDir, `${keys[1] ?? ''}.in-use-${exited}`), '');
    await mkdir(path.join(cacheDir, `${keys[7] ?? ''}.${exited}.tmp`, 'asset.a'), { recursive: true });
    await mkdir(path.join(cacheDir, `${keys[6] ?? ''}.${process.pid}.tmp`));

    // Act
    await pruneOld(cacheDir, keys[7] ?? '');

    // Assess: 3, 4, 5, 6 are the four most recent besides 7; 0 is in use; 1's marker is gone with it, and so is the
    // staging folder of the process that exited (a live synth's stays).
    expect((await readdir(cacheDir)).sort()).toEqual(
      [
        keys[0],
        keys[3],
        keys[4],
        keys[5],
        keys[6],
        keys[7],
        `${keys[0] ?? ''}.in-use-${process.pid}`,
        `${keys[6] ?? ''}.${process.pid}.tmp`,
      ].sort(),
    );
  });
});
