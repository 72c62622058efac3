/**
 * One function bundle built with the esbuild options CDK uses (LAMBDA_BUNDLING), for the benchmarks
 * and the tests that run bundles rather than sources.
 */
import { resolve } from 'node:path';
import { build } from 'esbuild';
import { LAMBDA_BUNDLING, LAMBDA_MODULE_ALIASES } from '#infra/constructs/lambda-defaults';

export async function bundleLikeCdk(entry: string, outfile: string): Promise<void> {
  await build({
    entryPoints: [resolve(entry)],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: LAMBDA_BUNDLING.target,
    mainFields: LAMBDA_BUNDLING.mainFields,
    banner: { js: LAMBDA_BUNDLING.banner },
    minify: LAMBDA_BUNDLING.minify,
    sourcemap: LAMBDA_BUNDLING.sourceMap ? 'external' : false,
    sourcesContent: LAMBDA_BUNDLING.sourcesContent,
    external: LAMBDA_BUNDLING.externalModules,
    // LAMBDA_BUNDLING passes the same map to CDK as `--alias:` arguments.
    alias: LAMBDA_MODULE_ALIASES,
    logLevel: 'error',
  });
}
