/**
 * The synthesized cloud assembly the local stack is derived from, cached: `cdk synth` (with bundling, so
 * the assembly's asset folders hold the exact bundles Lambda gets) runs only when its inputs change. The
 * cache key is a hash of every input of the synth: the sources it bundles or reads (infra/, functions/,
 * layers/, web/, assets/), the lock file, package.json (its import aliases), tsconfig.json, cdk.json and
 * the context passed on the command line. `npm start` and every e2e run share one cache, so a test run
 * synthesizes at most once per configuration.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, rmSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { cp, mkdir, readFile, readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { LOCAL_BUNDLE_INPUTS_CONTEXT } from '../../bundle-context';
import { fromRoot } from '../../paths';

const run = promisify(execFile);

/** The folders and files whose content decides the assembly. */
const SYNTH_INPUTS = [
  'infra',
  'functions',
  'layers',
  'web',
  'assets',
  'package-lock.json',
  'package.json',
  'tsconfig.json',
  'cdk.json',
];

/**
 * What under the inputs never reaches the assembly: generated folders, and the local stack itself
 * (infra/local/, which the CDK app never imports), so changing it does not cost a synth.
 */
const IGNORED = new Set(['node_modules', 'cdk.out', '.local', path.join('infra', 'local')]);

/** Assemblies kept besides the one in use (other configurations, the previous sources). */
const KEPT_ASSEMBLIES = 4;

/** A synth that has not finished in this long is considered dead (its lock is taken over). */
const STALE_LOCK_MS = 20 * 60 * 1000;

export const STACK_TEMPLATE = 'IdrlVideoPlatform.template.json';

export interface CachedSynthOptions {
  /** `-c key=value` pairs (e.g. `{ processor: 'mediaconvert' }`); part of the cache key. @default {} */
  context?: Readonly<Record<string, string>>;
  /** @default IDRL_SYNTH_CACHE, else $XDG_CACHE_HOME/idrl-synth (~/.cache/idrl-synth) */
  cacheDir?: string;
  /** Progress lines (a synth takes minutes). @default silent */
  log?: (message: string) => void;
}

export interface CloudAssembly {
  /** The assembly folder (what `cdk synth --output` wrote). */
  dir: string;
  /** Its stack template. */
  templatePath: string;
  /** The stack's assets file (asset folders by object key). */
  assetsPath: string;
  /** Whether this call ran `cdk synth` (false: served from the cache). */
  synthesized: boolean;
}

async function listFiles(root: string, relative: string): Promise<string[]> {
  const absolute = path.join(root, relative);
  const info = await stat(absolute).catch(() => undefined);
  if (info === undefined) return [];
  if (info.isFile()) return [relative];
  const entries = await readdir(absolute, { withFileTypes: true });
  const nested = await Promise.all(
    entries
      .filter((entry) => !IGNORED.has(entry.name) && !IGNORED.has(path.join(relative, entry.name)))
      .map((entry) => listFiles(root, path.join(relative, entry.name))),
  );
  return nested.flat();
}

/**
 * The context `npm start` synthesizes with, from its environment: LOCAL_CDK_CONTEXT (`key=value` pairs,
 * comma-separated, as `cdk synth -c`), and WORKER_TIMEOUT_SECONDS as `workerTimeoutSeconds`. A part without `=`
 * continues the value before it, so list values keep their commas: `seasons=2026-03-01,2026-09-01,processor=…`.
 */
export function contextFromEnvironment(env: NodeJS.ProcessEnv): Record<string, string> {
  const context: Record<string, string> = {};
  let key: string | undefined;
  for (const part of (env.LOCAL_CDK_CONTEXT ?? '').split(',')) {
    const separator = part.indexOf('=');
    if (separator > 0) {
      key = part.slice(0, separator).trim();
      context[key] = part.slice(separator + 1).trim();
    } else if (key !== undefined && part.trim() !== '') context[key] = `${context[key]},${part.trim()}`;
  }
  const workerTimeout = env.WORKER_TIMEOUT_SECONDS?.trim();
  if (workerTimeout) context.workerTimeoutSeconds = workerTimeout;
  return context;
}

/** Every input file's path and content: what the bundles of every configuration are built from. */
export async function sourcesHash(root = fromRoot()): Promise<string> {
  const hash = createHash('sha256');
  // The clone's own path too: the bundles' source maps point into it, so two clones never share an assembly.
  hash.update(root);
  const files = (await Promise.all(SYNTH_INPUTS.map((input) => listFiles(root, input)))).flat().sort();
  for (const file of files) {
    hash.update(`\0${file}\0`);
    hash.update(await readFile(path.join(root, file)));
  }
  return hash.digest('hex').slice(0, 24);
}

/** The cache key: the sources and the context. */
function synthKey(sources: string, context: Readonly<Record<string, string>>): string {
  return createHash('sha256')
    .update(sources)
    .update(JSON.stringify(Object.entries(context).sort(([a], [b]) => a.localeCompare(b))))
    .digest('hex')
    .slice(0, 24);
}

/** The cache key of these sources and context (the assembly folder's name). */
export async function synthInputsHash(
  context: Readonly<Record<string, string>> = {},
  root = fromRoot(),
): Promise<string> {
  return synthKey(await sourcesHash(root), context);
}

/** Beside each cached assembly: the sources hash its bundles were built from (their asset hashes derive from it). */
const SOURCES_MARKER = 'bundle-sources';

/**
 * Stages into `outdir`, before a synth, the asset folders of cached assemblies of the same sources (other
 * configurations): with LOCAL_BUNDLE_INPUTS_CONTEXT their bundles' asset hashes are known before bundling, so CDK
 * finds each one staged and runs no esbuild for it (infra/constructs/lambda-defaults.ts). Returns how many it staged.
 */
export async function stageSiblingAssets(cacheDir: string, outdir: string, sources: string): Promise<number> {
  const staged = new Set<string>();
  for (const entry of await readdir(cacheDir, { withFileTypes: true })) {
    const sibling = path.join(cacheDir, entry.name);
    if (!entry.isDirectory() || !isComplete(sibling)) continue;
    const marker = await readFile(path.join(sibling, SOURCES_MARKER), 'utf8').catch(() => undefined);
    if (marker !== sources) continue;
    for (const asset of await readdir(sibling)) {
      if (!asset.startsWith('asset.') || staged.has(asset)) continue;
      await cp(path.join(sibling, asset), path.join(outdir, asset), { recursive: true });
      staged.add(asset);
    }
  }
  return staged.size;
}

/** Removes the staged asset folders the synthesized stack does not use (another configuration's functions). */
export async function pruneUnusedAssets(outdir: string): Promise<void> {
  const manifest = JSON.parse(
    await readFile(path.join(outdir, STACK_TEMPLATE.replace('.template.json', '.assets.json')), 'utf8'),
  ) as { files?: Record<string, { source: { path: string } }> };
  const used = new Set(Object.values(manifest.files ?? {}).map((file) => file.source.path));
  const unused = (await readdir(outdir)).filter((name) => name.startsWith('asset.') && !used.has(name));
  await Promise.all(unused.map((name) => rm(path.join(outdir, name), { recursive: true, force: true })));
}

/** Outside the clone's node_modules, which `npm ci` empties (as the ffmpeg build's cache, ~/.cache/idrl-ffmpeg). */
export function defaultCacheDir(): string {
  const explicit = process.env.IDRL_SYNTH_CACHE?.trim();
  if (explicit) return explicit;
  const cacheHome = process.env.XDG_CACHE_HOME?.trim() || path.join(homedir(), '.cache');
  return path.join(cacheHome, 'idrl-synth');
}

function assemblyAt(dir: string, synthesized: boolean): CloudAssembly {
  return {
    dir,
    templatePath: path.join(dir, STACK_TEMPLATE),
    assetsPath: path.join(dir, STACK_TEMPLATE.replace('.template.json', '.assets.json')),
    synthesized,
  };
}

function isComplete(dir: string): boolean {
  return existsSync(path.join(dir, 'manifest.json')) && existsSync(path.join(dir, STACK_TEMPLATE));
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * One synth per key at a time across processes (an e2e run beside `npm start`): a lock file made with
 * O_EXCL holds the synthesizing pid; a waiter takes over a lock whose owner died or overran.
 */
async function withLock<T>(
  lockPath: string,
  ready: () => boolean,
  work: () => Promise<T>,
): Promise<T | undefined> {
  for (;;) {
    try {
      await writeFile(lockPath, `${process.pid} ${Date.now()}`, { flag: 'wx' });
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const [pid, since] = (await readFile(lockPath, 'utf8').catch(() => '0 0')).split(' ').map(Number);
      if (!alive(pid ?? 0) || Date.now() - (since ?? 0) > STALE_LOCK_MS) {
        await rm(lockPath, { force: true });
        continue;
      }
      await new Promise((resolve) => setTimeout(resolve, 1000));
      if (ready()) return undefined;
    }
  }
  try {
    return await work();
  } finally {
    await rm(lockPath, { force: true });
  }
}

/** `<key>.in-use-<pid>`: the process with that pid uses the assembly `<key>` (markInUse). */
const IN_USE_MARKER = /^([0-9a-f]{24})\.in-use-(\d+)$/;
/** `<key>.<pid>.tmp`: a synth's staging folder; one whose process died (killed mid-synth) is ~60 MB left behind. */
const STAGING = /^[0-9a-f]{24}\.(\d+)\.tmp$/;
const markedInUse = new Set<string>();

/**
 * Marks an assembly as used by this process until it exits: a running stack starts function hosts from its asset
 * folders long after it read the template, so another configuration's synth (a test run synthesizes several) must
 * not prune it meanwhile.
 */
function markInUse(dir: string): void {
  if (markedInUse.has(dir)) return;
  markedInUse.add(dir);
  const marker = `${dir}.in-use-${process.pid}`;
  writeFileSync(marker, '');
  process.once('exit', () => {
    rmSync(marker, { force: true });
  });
}

/**
 * Removes all but the KEPT_ASSEMBLIES most recently made assemblies besides `keep`, sparing those a live process
 * uses; the markers and staging folders of processes gone are removed.
 */
export async function pruneOld(cacheDir: string, keep: string): Promise<void> {
  const entries = await readdir(cacheDir, { withFileTypes: true });
  const inUse = new Set<string>();
  for (const entry of entries) {
    const marker = IN_USE_MARKER.exec(entry.name);
    const staging = STAGING.exec(entry.name);
    const owner = marker?.[2] ?? staging?.[1];
    if (owner === undefined) continue;
    if (!alive(Number(owner))) await rm(path.join(cacheDir, entry.name), { recursive: true, force: true });
    else if (marker?.[1] !== undefined) inUse.add(marker[1]);
  }
  const assemblies = await Promise.all(
    entries
      .filter(
        (entry) =>
          entry.isDirectory() &&
          /^[0-9a-f]{24}$/.test(entry.name) &&
          entry.name !== keep &&
          !inUse.has(entry.name),
      )
      .map(async (entry) => ({
        name: entry.name,
        used: (await stat(path.join(cacheDir, entry.name))).mtimeMs,
      })),
  );
  const old = assemblies.sort((a, b) => b.used - a.used).slice(KEPT_ASSEMBLIES);
  await Promise.all(
    old.map((entry) => rm(path.join(cacheDir, entry.name), { recursive: true, force: true })),
  );
}

/** `cdk synth` of cdk.json's app into `outdir`, with the context given. */
async function synthesize(outdir: string, context: Readonly<Record<string, string>>): Promise<void> {
  const bin = fromRoot('node_modules/.bin');
  await run(
    path.join(bin, 'cdk'),
    [
      'synth',
      '--quiet',
      '--no-notices',
      '--output',
      outdir,
      ...Object.entries(context).flatMap(([key, value]) => ['-c', `${key}=${value}`]),
    ],
    {
      cwd: fromRoot(),
      // cdk.json's app is `tsx …`: the project's own binaries first.
      env: {
        ...process.env,
        PATH: `${bin}${path.delimiter}${process.env.PATH ?? ''}`,
        CDK_DISABLE_VERSION_CHECK: '1',
      },
      maxBuffer: 64 * 1024 * 1024,
    },
  );
}

/** The assembly for these sources and context: from the cache, or synthesized into it. */
export async function cachedSynth(options: CachedSynthOptions = {}): Promise<CloudAssembly> {
  const context = options.context ?? {};
  const cacheDir = options.cacheDir ?? defaultCacheDir();
  const sources = await sourcesHash();
  const key = synthKey(sources, context);
  const dir = path.join(cacheDir, key);
  if (isComplete(dir)) {
    markInUse(dir);
    return assemblyAt(dir, false);
  }
  await mkdir(cacheDir, { recursive: true });
  const synthesized = await withLock(
    path.join(cacheDir, `${key}.lock`),
    () => isComplete(dir),
    async () => {
      if (isComplete(dir)) return false;
      const staging = `${dir}.${process.pid}.tmp`;
      await rm(staging, { recursive: true, force: true });
      options.log?.(`Synthesizing the CDK app (inputs changed; cached in ${dir}) ...`);
      const startedAt = Date.now();
      try {
        await mkdir(staging, { recursive: true });
        const reused = await stageSiblingAssets(cacheDir, staging, sources);
        if (reused > 0)
          options.log?.(`Reusing the ${reused} asset folders of this source's other configurations.`);
        await synthesize(staging, { ...context, [LOCAL_BUNDLE_INPUTS_CONTEXT]: sources });
        await pruneUnusedAssets(staging);
        await writeFile(path.join(staging, SOURCES_MARKER), sources);
        await rename(staging, dir);
      } catch (error) {
        await rm(staging, { recursive: true, force: true });
        throw error;
      }
      options.log?.(`Synthesized in ${((Date.now() - startedAt) / 1000).toFixed(0)} s.`);
      await pruneOld(cacheDir, key);
      return true;
    },
  );
  markInUse(dir);
  return assemblyAt(dir, synthesized === true);
}
