/**
 * The benchmark source: 60 s of 1080p30 H.264 + AAC, generated with the tests' media build (never
 * committed; test/support/media-tools.ts) and kept under .local/bench/ so later runs skip the generation.
 */
import { execFile } from 'node:child_process';
import { mkdir, rename, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { MEDIA_FFMPEG_PATH } from '#test/support/media-tools';

const run = promisify(execFile);
const SECONDS = 60;

export async function benchSource(log: (line: string) => void): Promise<string> {
  const dir = resolve('.local/bench');
  const path = join(dir, `source-${SECONDS}s-1080p30.mp4`);
  if (
    await stat(path).then(
      () => true,
      () => false,
    )
  )
    return path;
  await mkdir(dir, { recursive: true });
  log(`generating the ${SECONDS} s 1080p30 H.264/AAC source (once; kept in .local/bench)`);
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
    `testsrc2=size=1920x1080:rate=30:duration=${SECONDS}`,
    '-f',
    'lavfi',
    '-i',
    `sine=frequency=440:sample_rate=48000:duration=${SECONDS}`,
    // A camera-like stream: High profile, ~8 Mb/s, 2 s GOP.
    '-c:v',
    'libx264',
    '-preset',
    'veryfast',
    '-b:v',
    '8M',
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
