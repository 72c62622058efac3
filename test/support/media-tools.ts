/**
 * The two ffmpeg builds the tests use. Everything the worker runs, and every probe of what it wrote,
 * is the pinned build (layers/ffmpeg), built or reused from the machine's cache. Test media are
 * generated with the 2018 full static build from npm (`@ffmpeg-installer/linux-x64`, a devDependency
 * used only by tests and the bench): the pinned build deliberately has no lavfi test sources, no
 * VP9/HEVC/Opus/MP3/PNG encoders and no raw-video output, all of which the fixtures and frame readers
 * need. It never opens an upload.
 */
import { fromRoot } from '#infra/paths';
import { ensureFfmpegBuild, type FfmpegBinaries } from '#layers/ffmpeg/ffmpeg-build';

export const MEDIA_FFMPEG_PATH = fromRoot('node_modules/@ffmpeg-installer/linux-x64/ffmpeg');

export function workerBinaries(): FfmpegBinaries {
  return ensureFfmpegBuild();
}
