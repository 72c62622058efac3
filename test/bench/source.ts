/**
 * The benchmark sources: 60 s of 1080p30 H.264 + AAC (8 Mb/s, the worker's rows), and 10 minutes of it for the
 * cut's rows (5 Mb/s, ultrafast: 375 MB, under the 500 MB upload limit, generated in minutes rather than an hour),
 * generated with the tests' media build (never committed; test/support/media-tools.ts) and kept under
 * .local/bench/ so later runs skip the generation.
 */
import { execFile } from 'node:child_process';
import { mkdir, rename, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { MEDIA_FFMPEG_PATH } from '#test/support/media-tools';

const run = promisify(execFile);
const SECONDS = 60;

/** How a bench source is encoded: its length, and the speed/size trade-off of its encode. */
interface SourceShape {
  seconds: number;
  preset: string;
  bitrate: string;
}

const WORKER_SOURCE: SourceShape = { seconds: SECONDS, preset: 'veryfast', bitrate: '8M' };
export const LONG_SOURCE: SourceShape = { seconds: 600, preset: 'ultrafast', bitrate: '5M' };

export async function benchSource(
  log: (line: string) => void,
  { seconds, preset, bitrate }: SourceShape = WORKER_SOURCE,
): Promise<string> {
  const dir = resolve('.local/bench');
  const path = join(dir, `source-${seconds}s-1080p30${seconds === SECONDS ? '' : `-${bitrate}`}.mp4`);
  if (
    await stat(path).then(
      () => true,
      () => false,
    )
  )
    return path;
  await mkdir(dir, { recursive: true });
  log(`generating the ${seconds} s 1080p30 H.264/AAC source (once; kept in .local/bench)`);
  const partial = `${path}.partial.mp4`;
  await run(MEDIA_FFMPEG_PATH, [
    '-nostdin',
    '-hide_banner',
    '-loglevel',
    'error',
    '-y',
    '-f',
    'lavfi',
    '-i',
    `testsrc2=size=1920x1080:rate=30:duration=${seconds}`,
    '-f',
    'lavfi',
    '-i',
    `sine=frequency=440:sample_rate=48000:duration=${seconds}`,
    // A camera-like stream: 2 s GOP at a phone's bitrate.
    '-c:v',
    'libx264',
    '-preset',
    preset,
    '-b:v',
    bitrate,
    '-g',
    '60',
    '-pix_fmt',
    'yuv420p',
    '-c:a',
    'aac',
    '-b:a',
    '128k',
    '-movflags',
    '+faststart',
    partial,
  ]);
  await rename(partial, path);
  return path;
}
