import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveFfmpegSource } from '#layers/ffmpeg/ffmpeg-build';
import { FFMPEG_LAYER_BINARIES, LAYER_LOGO, LAYER_VERSION_FILE } from '#layers/ffmpeg/ffmpeg-layer';
import { LOCAL_BUNDLE_INPUTS_CONTEXT } from '#infra/bundle-context';
import { fromRoot } from '#infra/paths';
import { defaultCacheDir, sourcesHash, stageSiblingAssets } from '#infra/local/template/synth';
import { isCopyleft, licencesOf, packagesOfSourceMap } from '#test/helpers/licences';

/** Lambda's limit on a function's unzipped code plus all its layers. */
const LAMBDA_UNZIPPED_LIMIT_BYTES = 262_144_000;

/** The project's bundle-size goal (docs/performance.md). */
const BUNDLE_GOAL_BYTES = 500 * 1024;

/** Log texts of the SDK's default credential chain and its providers other than the environment one. */
const CHAIN_PROVIDERS =
  /@aws-sdk\/credential-provider-(?:node|ini|sso|process|web-identity|http|login) - \w+/g;

interface Resource {
  Type: string;
  Properties: Record<string, unknown> & {
    Code?: { S3Key?: string };
    Content?: { S3Key?: string };
    Environment?: { Variables?: Record<string, unknown> };
  };
}

const run = promisify(execFile);
let outdir: string;
let resources: Record<string, Resource>;
let cdkOutput: string;

// Prepare + Act once: the real `cdk synth` of cdk.json (esbuild bundles, the assembled layer, cdk-nag). The bundles
// of these sources already in the synth cache (the e2e stack's, which `npm test` makes first) are staged in its output
// and named by the sources' hash as the cache's synths name them, so esbuild runs only for a bundle none of them has:
// the same bundles, built by the same construct, without building them twice in one run.
beforeAll(async () => {
  outdir = mkdtempSync(path.join(tmpdir(), 'idrl-synth-'));
  const sources = await sourcesHash();
  await stageSiblingAssets(defaultCacheDir(), outdir, sources);
  const { stdout, stderr } = await run(
    fromRoot('node_modules/.bin/cdk'),
    // With an alarm email, as a deploy should be: without one the synth warns on purpose (test/infra/alarms.test.ts).
    [
      'synth',
      '--quiet',
      '--no-notices',
      '--output',
      outdir,
      '-c',
      'alarmEmail=ops@example.com',
      '-c',
      `${LOCAL_BUNDLE_INPUTS_CONTEXT}=${sources}`,
    ],
    {
      cwd: fromRoot(),
      env: { ...process.env, CDK_DISABLE_VERSION_CHECK: '1' },
      maxBuffer: 64 * 1024 * 1024,
    },
  );
  cdkOutput = stdout + stderr;
  const template = JSON.parse(readFileSync(path.join(outdir, 'IdrlVideoPlatform.template.json'), 'utf8')) as {
    Resources: Record<string, Resource>;
  };
  resources = template.Resources;
});

afterAll(() => {
  rmSync(outdir, { recursive: true, force: true });
});

/** The staged asset folder of a function (Code) or a layer (Content). */
function assetDir(resource: Resource): string {
  const key = resource.Properties.Code?.S3Key ?? resource.Properties.Content?.S3Key;
  if (!key) throw new Error('Resource has no S3 asset');
  return path.join(outdir, `asset.${key.replace(/\.zip$/, '')}`);
}

function sizeOf(dir: string): number {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .reduce((total, entry) => total + statSync(path.join(entry.parentPath, entry.name)).size, 0);
}

function ourFunctions(): [string, Resource][] {
  return Object.entries(resources).filter(
    ([, resource]) =>
      resource.Type === 'AWS::Lambda::Function' &&
      resource.Properties.Environment?.Variables?.POWERTOOLS_SERVICE_NAME !== undefined,
  );
}

describe('cdk synth (cdk.json)', () => {
  it('synthesizes with cdk-nag and reports no finding', () => {
    const report = JSON.parse(readFileSync(path.join(outdir, 'validation-report.json'), 'utf8')) as {
      pluginReports: unknown[];
    };
    expect(report.pluginReports).toEqual([]);
    expect(cdkOutput).not.toMatch(/ERROR|WARNING/);
  });

  it('bundles every function with the local esbuild into an ESM file with a source map and the SDK inside', () => {
    const functions = ourFunctions();
    expect(functions.length).toBeGreaterThanOrEqual(15);
    for (const [id, fn] of functions) {
      const dir = assetDir(fn);
      expect({ id, files: readdirSync(dir).sort() }).toEqual({ id, files: ['index.mjs', 'index.mjs.map'] });
      const code = readFileSync(path.join(dir, 'index.mjs'), 'utf8');
      expect(code.startsWith("import { createRequire as topLevelCreateRequire } from 'node:module';")).toBe(
        true,
      );
      // Bundled, not resolved from the runtime: no bare import of an SDK package survives.
      expect({ id, sdkImports: code.match(/from\s*"@aws-sdk\/[^"]+"/g) ?? [] }).toEqual({
        id,
        sdkImports: [],
      });
    }
  });

  it('keeps every function bundle within the 500 KiB goal, with the environment as the only credential source', () => {
    for (const [id, fn] of ourFunctions()) {
      const code = readFileSync(path.join(assetDir(fn), 'index.mjs'));
      const chainProviders = [...new Set(code.toString('utf8').match(CHAIN_PROVIDERS) ?? [])];
      expect({ id, chainProviders, withinGoal: code.length <= BUNDLE_GOAL_BYTES }).toEqual({
        id,
        chainProviders: [],
        withinGoal: true,
      });
    }
  });

  it('deploys no package under a copyleft licence in any function bundle', () => {
    const functions = ourFunctions();
    const packageDirs = new Set(
      functions.flatMap(([, fn]) => packagesOfSourceMap(path.join(assetDir(fn), 'index.mjs.map'))),
    );
    const licences = licencesOf(fromRoot(), [...packageDirs]);
    // The bundles do draw on npm packages (the SDK, pg, Powertools, middy…): the check has something to check.
    expect(licences.map((entry) => entry.package)).toEqual(expect.arrayContaining(['pg', '@middy/core']));
    expect(licences.filter((entry) => isCopyleft(entry.licence))).toEqual([]);
  });

  it('assembles the layer with the built ffmpeg and ffprobe, executable, under bin/, and their Debian version', async () => {
    const layer = Object.values(resources).find((resource) => resource.Type === 'AWS::Lambda::LayerVersion');
    if (!layer) throw new Error('No layer in the template');
    const source = resolveFfmpegSource();
    expect(readFileSync(path.join(assetDir(layer), LAYER_VERSION_FILE), 'utf8')).toBe(
      `${source.debianVersion}\n`,
    );
    const bin = path.join(assetDir(layer), 'bin');
    expect(readdirSync(bin).sort()).toEqual([...FFMPEG_LAYER_BINARIES].sort());
    for (const name of FFMPEG_LAYER_BINARIES) {
      const { stdout } = await run(path.join(bin, name), ['-hide_banner', '-version']);
      expect({
        name,
        mode: (statSync(path.join(bin, name)).mode & 0o777).toString(8),
        version: stdout.split(' ').slice(0, 3).join(' '),
      }).toEqual({ name, mode: '755', version: `${name} version ${source.upstreamVersion}` });
    }
  });

  it("ships the logo card in the layer, byte for byte, where the worker's LOGO_PATH points", () => {
    const layer = Object.values(resources).find((resource) => resource.Type === 'AWS::Lambda::LayerVersion');
    const worker = Object.values(resources).find(
      (resource) => resource.Properties.Environment?.Variables?.FFMPEG_PATH !== undefined,
    );
    if (!layer || !worker) throw new Error('No worker or layer in the template');
    const logo = path.join(assetDir(layer), LAYER_LOGO.path);
    expect(readFileSync(logo).equals(readFileSync(fromRoot(LAYER_LOGO.source)))).toBe(true);
    expect((statSync(logo).mode & 0o777).toString(8)).toBe('644');
    expect(worker.Properties.Environment?.Variables?.LOGO_PATH).toBe(`/opt/${LAYER_LOGO.path}`);
  });

  it('keeps the worker bundle plus the layer inside the 250 MB unzipped limit', () => {
    const worker = Object.values(resources).find(
      (resource) => resource.Properties.Environment?.Variables?.FFMPEG_PATH !== undefined,
    );
    const layer = Object.values(resources).find((resource) => resource.Type === 'AWS::Lambda::LayerVersion');
    if (!worker || !layer) throw new Error('No worker or layer in the template');
    const total = sizeOf(assetDir(worker)) + sizeOf(assetDir(layer));
    expect(total).toBeLessThan(LAMBDA_UNZIPPED_LIMIT_BYTES);
    expect(existsSync(path.join(assetDir(worker), 'index.mjs'))).toBe(true);
  });
});
