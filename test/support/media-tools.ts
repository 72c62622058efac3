/**
 * The two ffmpeg builds the tests use. Everything the worker runs, and every probe of what it wrote,
 * is the project's own build (layers/ffmpeg), built or reused from the machine's cache. Test media are
 * generated with Debian's `ffmpeg` package, which `npm test` installs on first use (infra/setup): the
 * worker's build deliberately has no lavfi test sources, no VP9/HEVC/Opus/MP3/PNG encoders, no raw-video
 * output and no ssim filter, all of which the fixtures, the frame readers and the bench need. It is the
 * same FFmpeg 5.1 line from the same security archive, and it never opens an upload.
 */
import { ensureFfmpegBuild, type FfmpegBinaries } from '#layers/ffmpeg/ffmpeg-build';

/** Debian's packaged ffmpeg (docs/worker.md, "Test media"). */
export const MEDIA_FFMPEG_PATH = '/usr/bin/ffmpeg';

export function workerBinaries(): FfmpegBinaries {
  return ensureFfmpegBuild();
}
