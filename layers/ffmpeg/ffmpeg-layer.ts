import { createHash } from 'node:crypto';
import { chmodSync, copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { AssetHashType, DockerImage } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';
import { FUNCTION_ARCHITECTURE, FUNCTION_RUNTIME } from '#infra/constructs/lambda-defaults';
import { fromRoot } from '#infra/paths';
import { ensureFfmpegBuild, ffmpegBuildKey, resolveFfmpegSource } from './ffmpeg-build';

/** The layer's bin/: the static build (ffmpeg-build.ts), the same binaries `npm start` and the tests run. */
export const FFMPEG_LAYER_BINARIES = ['ffmpeg', 'ffprobe'] as const;

/** Lambda mounts layers at /opt, so bin/ffmpeg in the layer is /opt/bin/ffmpeg in the function. */
export const FFMPEG_PATH = '/opt/bin/ffmpeg';
export const FFPROBE_PATH = '/opt/bin/ffprobe';

/**
 * The logo card the worker puts around every edit: a data file of the edit like the binaries, and
 * the function bundle (one esbuild file) has no place for it.
 */
export const LAYER_LOGO = { source: 'assets/logo/idrl-logo.png', path: 'share/idrl/idrl-logo.png' } as const;
export const LOGO_PATH = `/opt/${LAYER_LOGO.path}`;

/** The exact Debian source version the binaries were built from, one line, for whoever inspects a deployed layer. */
export const LAYER_VERSION_FILE = 'share/idrl/FFMPEG_VERSION';

/**
 * Copies the binaries (built first if this machine has none yet) into `<outputDir>/bin`, executable by
 * any user (Lambda runs code as a non-owner user), and the logo and the version file into
 * `<outputDir>/share/idrl`. Throws rather than returning false: on Linux x86_64 falling back to Docker
 * bundling is never wanted.
 */
export function assembleFfmpegLayer(outputDir: string): true {
  const built = ensureFfmpegBuild();
  const binDir = path.join(outputDir, 'bin');
  mkdirSync(binDir, { recursive: true });
  for (const name of FFMPEG_LAYER_BINARIES) {
    const target = path.join(binDir, name);
    copyFileSync(built[name], target);
    chmodSync(target, 0o755);
  }
  const logo = path.join(outputDir, LAYER_LOGO.path);
  mkdirSync(path.dirname(logo), { recursive: true });
  copyFileSync(fromRoot(LAYER_LOGO.source), logo);
  chmodSync(logo, 0o644);
  writeFileSync(path.join(outputDir, LAYER_VERSION_FILE), `${built.source.debianVersion}\n`, { mode: 0o644 });
  return true;
}

/** The ffmpeg/ffprobe Lambda layer, for Node.js 24 on x86_64. */
export class FfmpegLayer extends lambda.LayerVersion {
  constructor(scope: Construct, id: string) {
    // The version apt offers now (first-use setup included): the description and the asset hash name it.
    const source = resolveFfmpegSource();
    super(scope, id, {
      description: `ffmpeg and ffprobe ${source.upstreamVersion} (Debian ${source.debianVersion}) static x86_64 in /opt/bin, the IDRL logo card in /opt/share/idrl`,
      compatibleRuntimes: [FUNCTION_RUNTIME],
      compatibleArchitectures: [FUNCTION_ARCHITECTURE],
      code: lambda.Code.fromAsset(fromRoot('layers/ffmpeg'), {
        // What the layer holds is the build (source version + configure flags, some defined outside this
        // folder) and the logo: hashing this folder alone would reuse a stale layer when either changes.
        assetHashType: AssetHashType.CUSTOM,
        assetHash: createHash('sha256')
          .update(ffmpegBuildKey(source.debianVersion))
          .update(readFileSync(fromRoot(LAYER_LOGO.source)))
          .digest('hex'),
        bundling: {
          // Required by the type; never pulled, because local bundling always succeeds or throws.
          image: DockerImage.fromRegistry('public.ecr.aws/docker/library/busybox'),
          local: { tryBundle: assembleFfmpegLayer },
        },
      }),
    });
  }
}
