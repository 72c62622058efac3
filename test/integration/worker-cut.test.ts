/**
 * The pilot's cut (docs/spec.md §8) through the real static ffmpeg, read from s3rver through the loopback source
 * as the worker reads it: a source whose every frame shows its own number decides which frame the edit starts
 * with and which one is the poster; the ranges the source server asks the bucket for show the window was reached by
 * seeking. (How many bytes each read sends before ffmpeg drops it depends on socket read-ahead, so on timing: the
 * byte counts live in the cut benchmark, test/bench/cut.ts.)
 */
import { randomUUID } from 'node:crypto';
import { mkdir, mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LoopbackSourceServer } from '#adapters/ffmpeg/loopback-source';
import { FfmpegVideoProcessor } from '#adapters/ffmpeg/processor';
import { getObjectStore } from '#commons/composition-root';
import { DEFAULT_LEAGUE_FORMAT } from '#core/league-format';
import type { EditedVideo, ObjectStore } from '#core/ports';
import { PermanentProcessingError } from '#core/processing-errors';
import type { Cut } from '#core/task';
import { ffmpeg, frameAt, processorOptions, topLevelBoxes } from './worker-media';

const FPS = 30;
const SOURCE_SECONDS = 60;
const { width, height, logoSeconds } = DEFAULT_LEAGUE_FORMAT;

/**
 * 60 s at 30 fps whose frame N is a flat colour spelling N in base 16, one digit per channel in steps of 16
 * (robust to the round trips through yuv420p and two H.264 encodes), under per-frame noise so the file weighs
 * what a real 6 Mb/s upload weighs (46 MB) and a read of the whole file would show in the byte count. The index
 * is at the end, as phones record. The digits are drawn at 32×18 and scaled up: geq on every pixel of 640×360
 * would take minutes.
 */
async function numberedSource(path: string): Promise<void> {
  const digit = (place: string) => `16*mod(floor(N/${place})\\,16)+8`;
  await ffmpeg([
    '-f',
    'lavfi',
    '-i',
    `color=c=black:s=32x18:r=${FPS}:d=${SOURCE_SECONDS},format=rgb24,` +
      `geq=r='${digit('1')}':g='${digit('16')}':b='${digit('256')}',` +
      'scale=640:360:flags=neighbor,noise=alls=24:allf=t+u',
    '-f',
    'lavfi',
    '-i',
    `sine=frequency=440:duration=${SOURCE_SECONDS}`,
    '-c:v',
    'libx264',
    '-preset',
    'ultrafast',
    '-b:v',
    '6M',
    '-maxrate',
    '6M',
    '-bufsize',
    '12M',
    '-g',
    String(2 * FPS),
    '-pix_fmt',
    'yuv420p',
    '-c:a',
    'aac',
    path,
  ]);
}

/** The source frame number a frame shows: each channel's mean over a 64×64 block at the centre (noise averages out). */
function frameNumber(frame: Buffer): number {
  // An empty read would spell frame 0: only a whole frame is judged.
  expect(frame.length).toBe(width * height * 3);
  const means = [0, 0, 0];
  let count = 0;
  for (let y = 328; y < 392; y++) {
    for (let x = 608; x < 672; x++) {
      const offset = (y * width + x) * 3;
      for (let channel = 0; channel < 3; channel++)
        means[channel] = (means[channel] ?? 0) + (frame[offset + channel] ?? 0);
      count++;
    }
  }
  const [ones = 0, sixteens = 0, twoFiftySixes = 0] = means.map((sum) => Math.round((sum / count - 8) / 16));
  return ones + 16 * sixteens + 256 * twoFiftySixes;
}

const processor = new FfmpegVideoProcessor(processorOptions);
const objects = getObjectStore();
/** Where each read of the source starts, as the loopback source asks the bucket (a whole-object read starts at 0). */
let readStarts: number[] = [];
const recordingObjects = new Proxy(objects, {
  get(target, property, receiver): unknown {
    if (property === 'readRange') {
      return (...args: Parameters<ObjectStore['readRange']>) => {
        readStarts.push(args[1]?.start ?? 0);
        return target.readRange(...args);
      };
    }
    const value: unknown = Reflect.get(target, property, receiver);
    return typeof value === 'function' ? value.bind(target) : value;
  },
});
const sources = new LoopbackSourceServer(recordingObjects);

describe("the pilot's cut, edited by the static ffmpeg from the bucket", () => {
  let dir: string;
  let key: string;
  let size: number;

  /** Edits the stored source with `cut` through the loopback source; the bytes are what the server sent. */
  async function editWith(cut: Cut, name: string): Promise<{ edited: EditedVideo; readStarts: number[] }> {
    const workDir = join(dir, name);
    await mkdir(workDir);
    readStarts = [];
    const source = await sources.serve(key);
    try {
      const edited = await processor.edit({
        source: source.url,
        workDir,
        deadline: new Date(Date.now() + 170_000),
        cut,
      });
      expect(source.failure()).toBeUndefined();
      return { edited, readStarts };
    } finally {
      await source.close();
    }
  }

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'worker-cut-'));
    const path = join(dir, 'numbered.mp4');
    await numberedSource(path);
    expect((await topLevelBoxes(path)).slice(-1)).toEqual(['moov']);
    ({ size } = await stat(path));
    key = `uploads/${randomUUID()}/${randomUUID()}`;
    await objects.putFile({ key, path, contentType: 'video/mp4' });
    // The generator's own numbering, read back from the source: the reader is right before it judges an edit.
    expect(frameNumber(await frameAt(path, 1425 / FPS))).toBe(1425);
  }, 120_000);

  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('starts the edit at the chosen frame (80 % in), takes the poster at its offset, and reads the window by seeking', async () => {
    // Act: the window at 0 (the baseline), then at 48 s of 60 with the poster 5.5 s into the clip
    const first = await editWith({ clipStartSeconds: 0, posterSeconds: 0 }, 'at-0');
    const late = await editWith({ clipStartSeconds: 48, posterSeconds: 5.5 }, 'at-80');

    // Assess: the first content frame after the card is source frame 48 s × 30 (± one frame)
    const firstContent = frameNumber(await frameAt(late.edited.videoPath, logoSeconds));
    expect(Math.abs(firstContent - 48 * FPS)).toBeLessThanOrEqual(1);
    expect(frameNumber(await frameAt(first.edited.videoPath, logoSeconds))).toBeLessThanOrEqual(1);
    // The 12 s left after 48 s, between the cards.
    expect(late.edited.durationSeconds).toBeCloseTo(12 + 2 * logoSeconds, 1);
    // The poster: frame (48 + 5.5) × 30 (± one frame).
    const poster = frameNumber(await frameAt(late.edited.thumbnailPath, null));
    expect(Math.abs(poster - 53.5 * FPS)).toBeLessThanOrEqual(1);
    // Seeking: the late edit jumps into the file near 80 % (the key frame at 48 s; the index is the last 0.2 %), which
    // the edit at 0 never does: everything it reads starts at the beginning or in the index.
    const mid = (start: number) => start > 0.1 * size && start < 0.95 * size;
    expect(late.readStarts.filter(mid).some((start) => start > 0.7 * size && start < 0.85 * size)).toBe(true);
    expect(first.readStarts.filter(mid)).toEqual([]);
  }, 300_000);

  it.each([
    [60, 'The cut starts at 60 s, but the video is only 60 s long; choose an earlier start.'],
    [75.25, 'The cut starts at 75.25 s, but the video is only 60 s long; choose an earlier start.'],
  ])('fails a start at or past the end (%s s) with a reason that says so', async (start, reason) => {
    // Act
    const edit = editWith({ clipStartSeconds: start, posterSeconds: 0 }, `past-${start}`);

    // Assess
    await expect(edit).rejects.toThrow(new PermanentProcessingError(reason));
  });
});
