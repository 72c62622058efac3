import { createHash } from 'node:crypto';
import { chmodSync, copyFileSync, mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { AssetHashType, DockerImage } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';
import { FUNCTION_ARCHITECTURE, FUNCTION_RUNTIME } from '#infra/constructs/lambda-defaults';
import { fromRoot } from '#infra/paths';
import { ensureFfmpegBuild, FFMPEG_SOURCE, ffmpegBuildKey } from './ffmpeg-build';

/** The layer's bin/: the pinned static build (ffmpeg-build.ts), the same binaries `npm start` and the tests run. */
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

/**
 * Copies the binaries (built first if this machine has none yet) into `<outputDir>/bin`, executable by
 * any user (Lambda runs code as a non-owner user), and the logo into `<outputDir>/share/idrl`. Throws
 * rather than returning false: on Linux x86_64 falling back to Docker bundling is never wanted.
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
  return true;
}

/** The ffmpeg/ffprobe Lambda layer, for Node.js 24 on x86_64. */
export class FfmpegLayer extends lambda.LayerVersion {
  constructor(scope: Construct, id: string) {
    super(scope, id, {
      description: `ffmpeg and ffprobe ${FFMPEG_SOURCE.upstreamVersion} (Debian ${FFMPEG_SOURCE.debianVersion}) static x86_64 in /opt/bin, the IDRL logo card in /opt/share/idrl`,
      compatibleRuntimes: [FUNCTION_RUNTIME],
      compatibleArchitectures: [FUNCTION_ARCHITECTURE],
      code: lambda.Code.fromAsset(fromRoot('layers/ffmpeg'), {
        // What the layer holds is the build (pinned source + configure flags, some defined outside this
        // folder) and the logo: hashing this folder alone would reuse a stale layer when either changes.
        assetHashType: AssetHashType.CUSTOM,
        assetHash: createHash('sha256')
          .update(ffmpegBuildKey())
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
