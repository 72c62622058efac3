/**
 * The ffmpeg adapter against the real static ffmpeg/ffprobe, on fixtures generated into a temp dir
 * and read the way the worker reads them: from s3rver through the loopback source server.
 */
import { randomUUID } from 'node:crypto';
import { chmod, mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ProcessingTimeoutError } from '#core/processing-errors';
import { LoopbackSourceServer } from '#adapters/ffmpeg/loopback-source';
import { FfmpegVideoProcessor } from '#adapters/ffmpeg/processor';
import { getObjectStore } from '#commons/composition-root';
import { PermanentProcessingError } from '#core/processing-errors';
import type { EditedVideo } from '#core/ports';
import {
  ffmpeg,
  brightnessAt,
  frameAt,
  generateValidFixture,
  HOSTILE_FIXTURES,
  INVALID_FIXTURES,
  LOGO_PATH,
  meanDifference,
  probeStreams,
  processorOptions,
  topLevelBoxes,
  VALID_FIXTURES,
  variableRateWebm,
} from './worker-media';
import { samplePeakChildMemory } from '#test/bench/memory';

const processor = new FfmpegVideoProcessor(processorOptions);
const objects = getObjectStore();
const sources = new LoopbackSourceServer(objects);
const farDeadline = (): Date => new Date(Date.now() + 100_000);

/** Uploads `path`, then edits it through the loopback source as the worker does. */
async function editFromBucket(
  path: string,
  workDir: string,
  { deadline = farDeadline(), contentType = 'video/mp4' } = {},
): Promise<{ edited: EditedVideo; bytesSent: number }> {
  const key = `uploads/${randomUUID()}/${randomUUID()}`;
  await objects.putFile({ key, path, contentType });
  const source = await sources.serve(key);
  try {
    const edited = await processor.edit({ source: source.url, workDir, deadline });
    expect(source.failure()).toBeUndefined();
    return { edited, bytesSent: source.bytesSent() };
  } finally {
    await source.close();
  }
}

const longPattern = [
  '-f',
  'lavfi',
  '-i',
  'testsrc2=size=640x360:rate=30:duration=120',
  '-f',
  'lavfi',
  '-i',
  'sine=frequency=440:duration=120',
];

describe('FfmpegVideoProcessor', () => {
  let dir: string;
  let logo: Buffer;
  let encodedLongSource: Promise<string> | undefined;

  function longSource(): Promise<string> {
    encodedLongSource ??= (async () => {
      const path = join(dir, 'long-encoded.mp4');
      await ffmpeg([
        ...longPattern,
        '-c:v',
        'libx264',
        '-preset',
        'ultrafast',
        '-b:v',
        '3M',
        '-c:a',
        'aac',
        path,
      ]);
      return path;
    })();
    return encodedLongSource;
  }

  /** A loopback HTTP server standing for Lambda's runtime API or a VPC address: no edit may reach it. */
  const bait = { url: '', requests: [] as string[], server: createServer() };

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'worker-ffmpeg-'));
    logo = await frameAt(LOGO_PATH, 0);
    bait.server.on('request', (request: IncomingMessage, response: ServerResponse) => {
      bait.requests.push(request.url ?? '');
      response.end();
    });
    await new Promise<void>((resolve) => bait.server.listen(0, '127.0.0.1', resolve));
    bait.url = `http://127.0.0.1:${(bait.server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    bait.server.close();
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
      const { edited } = await editFromBucket(source, workDir);

      // Assess
      const output = await probeStreams(edited.videoPath);
      expect(output.video).toEqual({
        codec: 'h264',
        width: 1280,
        height: 720,
        pixFmt: 'yuv420p',
        frameRate: '30/1',
        sar: '1:1',
      });
      expect(output.audio).toEqual(
        fixture.hasAudio ? { codec: 'aac', channels: 2, sampleRate: 48_000 } : null,
      );
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
      expect({ pillarbox: bars.left < 16, letterbox: bars.top < 16 }).toEqual({
        pillarbox: fixture.bars === 'pillarbox',
        letterbox: fixture.bars === 'letterbox',
      });
      const thumbnail = await probeStreams(edited.thumbnailPath);
      expect(thumbnail.video).toMatchObject({ codec: 'mjpeg', width: 640, height: 360 });
    });
  });

  describe.each(INVALID_FIXTURES)('rejects a $name', (fixture) => {
    it('with PermanentProcessingError and a human reason', async () => {
      // Prepare: the served URL has no extension, so content alone decides.
      const workDir = await mkdtemp(join(dir, 'invalid-'));
      await fixture.generate(join(workDir, fixture.file), workDir);

      // Act
      const edit = editFromBucket(join(workDir, fixture.file), workDir);

      // Assess
      await expect(edit).rejects.toThrow(PermanentProcessingError);
      await expect(edit).rejects.toThrow(fixture.reason);
    });
  });

  it('accepts a variable-rate WebM whose r_frame_rate is 1000/1 but which stores about 26 frames a second', async () => {
    // Prepare
    const path = join(dir, 'variable-rate.webm');
    await variableRateWebm(path);
    const key = `uploads/${randomUUID()}/${randomUUID()}`;
    await objects.putFile({ key, path, contentType: 'video/webm' });
    const source = await sources.serve(key);

    try {
      // Act
      const description = await processor.describe(source.url, farDeadline());

      // Assess
      expect((await probeStreams(path)).video?.frameRate).toBe('1000/1');
      expect(description).toMatchObject({ demuxer: 'matroska', hasAudio: false });
    } finally {
      await source.close();
    }
  });

  describe.each([
    { layout: 'index at the end, as phones record', movflags: [], indexFirst: false },
    { layout: 'index first (faststart)', movflags: ['-movflags', '+faststart'], indexFirst: true },
  ])('reads a 120 s MP4 with its $layout', ({ movflags, indexFirst }) => {
    it('only as far as the edit needs, seeking by range', async () => {
      // Prepare: 16 s of 120 s is 13 % of the bytes; socket read-ahead adds a few MB per connection ffmpeg drops.
      const workDir = await mkdtemp(join(dir, 'long-'));
      const source = join(workDir, 'long.mp4');
      // Encoded once for both layouts (the encode is most of this test's time); each layout is a stream copy.
      await ffmpeg(['-i', await longSource(), '-c', 'copy', ...movflags, source]);
      const boxes = await topLevelBoxes(source);
      const { size } = await stat(source);

      // Act
      const { edited, bytesSent } = await editFromBucket(source, workDir);

      // Assess
      expect(boxes.indexOf('moov') < boxes.indexOf('mdat')).toBe(indexFirst);
      expect(edited.durationSeconds).toBeCloseTo(20, 1);
      expect(bytesSent / size).toBeLessThan(0.6);
      // The one-time 120 s encode (media build) took over the default 120 s on a machine under load 20.
    }, 300_000);
  });

  describe.each(HOSTILE_FIXTURES)('handles a hostile $name', (fixture) => {
    it('without a request to any other address, in far less memory than the worker has', async () => {
      // Prepare
      const workDir = await mkdtemp(join(dir, 'hostile-'));
      const path = join(workDir, fixture.file);
      await fixture.generate(path, workDir, bait.url);
      const memory = samplePeakChildMemory(/^ff(mpeg|probe)$/);

      // Act
      const outcome = await editFromBucket(path, workDir).then(
        ({ edited }) => ({ kind: 'edited', durationSeconds: Math.round(edited.durationSeconds) }),
        (error: unknown) => ({
          kind: 'failed',
          permanent: error instanceof PermanentProcessingError,
          reason: error instanceof Error ? error.message : String(error),
        }),
      );
      const peakMiB = await memory.stop();

      // Assess
      expect(outcome).toEqual(
        fixture.expected.kind === 'edited'
          ? fixture.expected
          : {
              kind: 'failed',
              permanent: true,
              reason: expect.stringMatching(fixture.expected.reason) as unknown,
            },
      );
      expect(bait.requests).toEqual([]);
      // The 3008 MB worker; the 2018 build peaked at 3.1 GB on the giant frames.
      expect(peakMiB).toBeLessThan(512);
    });
  });

  it('runs ffprobe and ffmpeg with an empty environment: no AWS credentials or settings reach them', async () => {
    // Prepare: wrappers record the environment they were started with, then run the real binary.
    const workDir = await mkdtemp(join(dir, 'environment-'));
    const envLog = join(workDir, 'env.log');
    const wrap = async (name: string, binary: string): Promise<string> => {
      const wrapper = join(workDir, name);
      await writeFile(
        wrapper,
        `#!/bin/sh\nenv | cut -d= -f1 | sort | tr '\\n' ' ' >> '${envLog}'\necho >> '${envLog}'\nexec '${binary}' "$@"\n`,
      );
      await chmod(wrapper, 0o755);
      return wrapper;
    };
    const wrapped = new FfmpegVideoProcessor({
      ...processorOptions,
      ffmpegPath: await wrap('ffmpeg', processorOptions.ffmpegPath),
      ffprobePath: await wrap('ffprobe', processorOptions.ffprobePath),
    });
    const clip = VALID_FIXTURES.find((fixture) => fixture.file === 'clip.mov');
    if (!clip) throw new Error('no clip.mov fixture');
    const source = await generateValidFixture(dir, clip);
    const key = `uploads/${randomUUID()}/${randomUUID()}`;
    await objects.putFile({ key, path: source, contentType: 'video/quicktime' });
    const served = await sources.serve(key);
    expect(Object.keys(process.env).filter((name) => name.startsWith('AWS_')).length).toBeGreaterThan(0);

    // Act
    try {
      await wrapped.edit({ source: served.url, workDir, deadline: farDeadline() });
    } finally {
      await served.close();
    }

    // Assess: probe, edit, probe of the output; /bin/sh itself adds PWD.
    expect((await readFile(envLog, 'utf8')).split('\n')).toEqual(['PWD ', 'PWD ', 'PWD ', '']);
  });

  it('stops ffmpeg at the deadline and reports a timeout as a permanent failure', async () => {
    // Prepare
    const landscape = VALID_FIXTURES[0];
    if (!landscape) throw new Error('no landscape fixture');
    const source = await generateValidFixture(dir, landscape);
    const workDir = await mkdtemp(join(dir, 'timeout-'));

    // Act: a deadline that has already passed when the first tool starts, so the outcome cannot
    // depend on how fast this machine decodes (a budget of a few hundred ms did on a busy one).
    const edit = editFromBucket(source, workDir, { deadline: new Date(Date.now() - 1) });

    // Assess
    await expect(edit).rejects.toThrow(ProcessingTimeoutError);
    await expect(edit).rejects.toThrow(
      /^Processing was stopped after 0 s \(probe\): the video takes longer than the worker allows\.$/,
    );
  });
});
