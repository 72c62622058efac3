/**
 * The ffmpeg adapter against the real static ffmpeg/ffprobe, on fixtures generated into a temp dir.
 */
import { copyFile, mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ProcessingTimeoutError } from '#adapters/ffmpeg/classify';
import { FfmpegVideoProcessor } from '#adapters/ffmpeg/processor';
import { PermanentProcessingError } from '#core/errors';
import {
  brightnessAt,
  frameAt,
  generateValidFixture,
  INVALID_FIXTURES,
  LOGO_PATH,
  meanDifference,
  probeStreams,
  processorOptions,
  topLevelBoxes,
  VALID_FIXTURES,
} from './worker-media';

const processor = new FfmpegVideoProcessor(processorOptions);
const farDeadline = (): Date => new Date(Date.now() + 100_000);

describe('FfmpegVideoProcessor', () => {
  let dir: string;
  let logo: Buffer;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'worker-ffmpeg-'));
    logo = await frameAt(LOGO_PATH, 0);
  });

  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  describe.each(VALID_FIXTURES)('edits a $name', (fixture) => {
    it('into 1280×720 at 30 fps, logo cards around the first seconds of the source, with a 640×360 thumbnail', async () => {
      // Prepare
      const source = await generateValidFixture(dir, fixture);
      const workDir = join(dir, `${fixture.file}-out`);
      await mkdir(workDir);
      const expectedSeconds = Math.min(fixture.sourceSeconds, 16) + 4;

      // Act
      const edited = await processor.edit({ source, workDir, deadline: farDeadline() });

      // Assess
      const output = await probeStreams(edited.videoPath);
      expect(output.video).toEqual({ codec: 'h264', width: 1280, height: 720, pixFmt: 'yuv420p', frameRate: '30/1', sar: '1:1' });
      expect(output.audio).toEqual(fixture.hasAudio ? { codec: 'aac', channels: 2, sampleRate: 48_000 } : null);
      expect(output.format.duration).toBeCloseTo(expectedSeconds, 1);
      expect(edited).toEqual({
        videoPath: join(workDir, 'video.mp4'),
        thumbnailPath: join(workDir, 'thumbnail.jpg'),
        durationSeconds: output.format.duration,
        width: 1280,
        height: 720,
        sizeBytes: (await readFile(edited.videoPath)).length,
      });
      const boxes = await topLevelBoxes(edited.videoPath);
      expect(boxes.indexOf('moov')).toBeLessThan(boxes.indexOf('mdat'));
      expect(meanDifference(await frameAt(edited.videoPath, 1), logo)).toBeLessThan(8);
      expect(meanDifference(await frameAt(edited.videoPath, expectedSeconds - 1), logo)).toBeLessThan(8);
      const content = await frameAt(edited.videoPath, 2 + Math.min(fixture.sourceSeconds, 16) / 2);
      expect(meanDifference(content, logo)).toBeGreaterThan(30);
      const bars = { left: brightnessAt(content, 8, 360), top: brightnessAt(content, 640, 8) };
      expect({ pillarbox: bars.left < 16, letterbox: bars.top < 16 }).toEqual({ pillarbox: fixture.bars === 'pillarbox', letterbox: fixture.bars === 'letterbox' });
      const thumbnail = await probeStreams(edited.thumbnailPath);
      expect(thumbnail.video).toMatchObject({ codec: 'mjpeg', width: 640, height: 360 });
    });
  });

  describe.each(INVALID_FIXTURES)('rejects a $name', (fixture) => {
    it('with PermanentProcessingError and a human reason', async () => {
      // Prepare: named like the worker's download, so content alone decides (no extension hint).
      const workDir = await mkdtemp(join(dir, 'invalid-'));
      await fixture.generate(join(workDir, fixture.file), workDir);
      const source = join(workDir, 'source');
      await copyFile(join(workDir, fixture.file), source);

      // Act
      const edit = processor.edit({ source, workDir, deadline: farDeadline() });

      // Assess
      await expect(edit).rejects.toThrow(PermanentProcessingError);
      await expect(edit).rejects.toThrow(fixture.reason);
    });
  });

  it('stops ffmpeg at the deadline and reports a timeout as a permanent failure', async () => {
    // Prepare
    const landscape = VALID_FIXTURES[0];
    if (!landscape) throw new Error('no landscape fixture');
    const workDir = await mkdtemp(join(dir, 'timeout-'));
    const startedAt = Date.now();

    // Act
    const edit = processor.edit({ source: join(dir, landscape.file), workDir, deadline: new Date(Date.now() + 700) });

    // Assess
    await expect(edit).rejects.toThrow(ProcessingTimeoutError);
    await expect(edit).rejects.toThrow(/^Processing was stopped after 1 s \((probe|edit)\): the video takes longer than the worker allows\.$/);
    expect(Date.now() - startedAt).toBeLessThan(5_000);
  });
});
