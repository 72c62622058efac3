/**
 * The pilot's cut (docs/worker.md, "The pilot's cut"): bytes the loopback source sends and seconds the edit takes
 * for the 16 s window at 0 and at 80 % of a 10-minute 1080p source in the bucket, alternating. Goal: the late
 * window costs ≤ 1.5× the window at 0 in both (it is reached by seeking, not by decoding up to it).
 */
import { availableParallelism, tmpdir } from 'node:os';
import { mkdtemp, rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { randomUUID } from 'node:crypto';
import { LoopbackSourceServer } from '#adapters/ffmpeg/loopback-source';
import { FfmpegVideoProcessor } from '#adapters/ffmpeg/processor';
import { DEFAULT_LEAGUE_FORMAT, DEFAULT_SOURCE_LIMITS } from '#core/league-format';
import { workerBinaries } from '#test/support/media-tools';
import { loadAverage } from './cpu';
import { LONG_SOURCE } from './source';
import { round, summarize, type Summary } from './stats';

export interface CutWindowResult {
  startSeconds: number;
  bytesSent: Summary;
  seconds: Summary;
}

export interface CutBenchResult {
  sourceBytes: number;
  sourceSeconds: number;
  atStart: CutWindowResult;
  atEighty: CutWindowResult;
  /** Late window / window at 0, medians. */
  bytesRatio: number;
  secondsRatio: number;
  loadAverage: { before: [number, number, number]; after: [number, number, number] };
}

export const CUT_GOAL_RATIO = 1.5;

export async function benchCut(
  sourcePath: string,
  rounds: number,
  log: (line: string) => void,
): Promise<CutBenchResult> {
  const [{ getObjectStore }] = await Promise.all([import('#commons/composition-root')]);
  const objects = getObjectStore();
  const key = `uploads/${randomUUID()}/${randomUUID()}`;
  await objects.putFile({ key, path: sourcePath, contentType: 'video/mp4' });
  const sourceBytes = (await objects.stat(key))?.sizeBytes ?? 0;
  const { ffmpeg, ffprobe } = workerBinaries();
  const processor = new FfmpegVideoProcessor({
    ffmpegPath: ffmpeg,
    ffprobePath: ffprobe,
    logoPath: resolve('assets/logo/idrl-logo.png'),
    format: DEFAULT_LEAGUE_FORMAT,
    limits: DEFAULT_SOURCE_LIMITS,
    threads: availableParallelism(),
  });
  const sources = new LoopbackSourceServer(objects);
  const late = 0.8 * LONG_SOURCE.seconds;
  const measured = new Map<number, { bytes: number[]; seconds: number[] }>([
    [0, { bytes: [], seconds: [] }],
    [late, { bytes: [], seconds: [] }],
  ]);
  const loadBefore = loadAverage();
  log(`  load average before: ${loadBefore.join(' ')}`);
  for (let round_ = 1; round_ <= rounds; round_ += 1) {
    for (const [startSeconds, series] of measured) {
      const workDir = await mkdtemp(join(tmpdir(), 'idrl-bench-cut-'));
      const source = await sources.serve(key);
      const started = performance.now();
      try {
        await processor.edit({
          source: source.url,
          workDir,
          deadline: new Date(Date.now() + 600_000),
          cut: { clipStartSeconds: startSeconds, posterSeconds: 0 },
        });
        const failure = source.failure();
        if (failure !== undefined) throw failure;
        series.seconds.push((performance.now() - started) / 1000);
        series.bytes.push(source.bytesSent());
      } finally {
        await source.close();
        await rm(workDir, { recursive: true, force: true });
      }
      log(
        `  round ${round_}/${rounds}, window at ${startSeconds} s: ${series.bytes.at(-1)} bytes, ${series.seconds.at(-1)?.toFixed(2)} s`,
      );
    }
  }
  const loadAfter = loadAverage();
  log(`  load average after: ${loadAfter.join(' ')}`);
  await objects.deleteMany([key]);
  const window = (startSeconds: number): CutWindowResult => {
    const series = measured.get(startSeconds) ?? { bytes: [], seconds: [] };
    return { startSeconds, bytesSent: summarize(series.bytes), seconds: summarize(series.seconds) };
  };
  const atStart = window(0);
  const atEighty = window(late);
  return {
    sourceBytes,
    sourceSeconds: LONG_SOURCE.seconds,
    atStart,
    atEighty,
    bytesRatio: round(atEighty.bytesSent.median / atStart.bytesSent.median, 3),
    secondsRatio: round(atEighty.seconds.median / atStart.seconds.median, 3),
    loadAverage: { before: loadBefore, after: loadAfter },
  };
}
