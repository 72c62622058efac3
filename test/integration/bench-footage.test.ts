/**
 * The bench's real-footage rows (test/bench/footage.ts) on a generated 2 s portrait clip in a temporary folder:
 * the worker's pinned build edits it with the plan the worker's own probe makes, and the row reports what was
 * produced and how close it is to the fitted source. The league's clips are not in the repository; this proves
 * the path they will take.
 */
import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { benchFootage, FOOTAGE_DIR_VARIABLE } from '#test/bench/footage';
import { generateVideo } from '#test/support/http-client';
import { MEDIA_FFMPEG_PATH } from '#test/support/media-tools';

const CLIP_SECONDS = 2;

describe('bench rows on real footage', () => {
  let dir: string;
  let clip: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'idrl-footage-test-'));
    clip = join(dir, 'portrait-phone.mp4');
    // Portrait, as a phone held upright records: the edit pillarboxes it, and the SSIM reference must too.
    await generateVideo(MEDIA_FFMPEG_PATH, clip, { seconds: CLIP_SECONDS, width: 240, height: 320 });
  });

  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('edits each clip of the folder as the worker would and reports its size, SSIM and CPU', async () => {
    const lines: string[] = [];
    const result = await benchFootage({ rounds: 1, log: (line) => lines.push(line), dir });

    expect(result.status).toBe('measured');
    if (result.status !== 'measured') return;
    expect(result.rows).toHaveLength(1);
    const [row] = result.rows;
    expect(row).toMatchObject({
      clip: 'portrait-phone.mp4',
      sourceBytes: (await stat(clip)).size,
      width: 240,
      height: 320,
      editedSeconds: CLIP_SECONDS,
    });
    expect(row?.durationSeconds).toBeCloseTo(CLIP_SECONDS, 1);
    // A 720p H.264 edit of 2 s + two 2 s cards: some kilobytes, never nothing.
    expect(row?.outputBytes.median).toBeGreaterThan(10_000);
    expect(row?.cpuSeconds.median).toBeGreaterThan(0);
    expect(row?.peakMiB.median).toBeGreaterThan(0);
    // Compared with the source pillarboxed as the edit does it; stretched to 16:9 instead, the pattern would not match.
    expect(row?.ssim.median).toBeGreaterThan(0.9);
    expect(row?.ssim.median).toBeLessThanOrEqual(1);
    expect(lines.join('\n')).toContain('portrait-phone.mp4 round 1/1');
  });

  it('says the rows are absent, and why, when no folder or no clip is given', async () => {
    const empty = await mkdtemp(join(tmpdir(), 'idrl-footage-empty-'));
    try {
      await expect(benchFootage({ rounds: 1, log: () => undefined, dir: '' })).resolves.toEqual({
        status: 'absent',
        reason: `${FOOTAGE_DIR_VARIABLE} is not set`,
      });
      await expect(benchFootage({ rounds: 1, log: () => undefined, dir: empty })).resolves.toEqual({
        status: 'absent',
        reason: `${empty} holds no clip`,
      });
    } finally {
      await rm(empty, { recursive: true, force: true });
    }
  });

  it('names the clip the worker would refuse', async () => {
    const folder = await mkdtemp(join(tmpdir(), 'idrl-footage-bad-'));
    try {
      await writeFile(join(folder, 'notes.txt'), 'not a video');
      await expect(benchFootage({ rounds: 1, log: () => undefined, dir: folder })).rejects.toThrow(
        /notes\.txt/,
      );
    } finally {
      await rm(folder, { recursive: true, force: true });
    }
  });
});
