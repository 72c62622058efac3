/**
 * The worker's edit on real footage (issue 28, item 3): the clips in BENCH_FOOTAGE_DIR (the league's original
 * project's three test clips when someone with them puts them there; nothing is committed), each edited with the
 * worker's pinned ffmpeg and the arguments the worker would build for it (its own probe and classification, read
 * from the local file instead of the loopback source), beside the synthetic bench source: output size, SSIM of
 * the middle segment against the source fitted the same way, CPU and wall seconds and peak memory (ffmpeg's own
 * -benchmark figures), medians of `rounds`.
 */
import { mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { describeSource } from '#adapters/ffmpeg/classify';
import { LOCAL_PROTOCOLS } from '#adapters/ffmpeg/components';
import { buildEditArgs } from '#adapters/ffmpeg/edit-command';
import { buildProbeArgs, parseProbeOutput } from '#adapters/ffmpeg/probe';
import { runTool } from '#adapters/ffmpeg/run-tool';
import { DEFAULT_LEAGUE_FORMAT, DEFAULT_SOURCE_LIMITS } from '#core/league-format';
import { workerBinaries } from '#test/support/media-tools';
import { measuredEdit, middleSsim } from './builds';
import { round, summarize, type Summary } from './stats';
import { readingLocalFile } from './worker-vs-bare';

/** The environment variable naming the folder of real clips. */
export const FOOTAGE_DIR_VARIABLE = 'BENCH_FOOTAGE_DIR';

export interface FootageRow {
  clip: string;
  sourceBytes: number;
  /** What the worker's probe saw: the first video stream's size and the container's duration. */
  width: number;
  height: number;
  durationSeconds: number | null;
  /** Seconds of the clip the edit uses (at most the league format's 16). */
  editedSeconds: number;
  outputBytes: Summary;
  ssim: Summary;
  cpuSeconds: Summary;
  wallSeconds: Summary;
  peakMiB: Summary;
}

export type FootageResult =
  | { status: 'absent'; reason: string }
  | { status: 'measured'; dir: string; rounds: number; rows: FootageRow[] };

const DEADLINE_MS = 600_000;

/**
 * The clips of `dir`: every regular file not hidden, by name. What is not a video the worker accepts fails its
 * row's probe, as it would fail the upload: the error names the clip.
 */
async function clipsIn(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true });
  return entries
    .filter((entry) => entry.isFile() && !entry.name.startsWith('.'))
    .map((entry) => join(dir, entry.name))
    .sort();
}

/** The edit the worker would make of a local clip, its own probe and classification deciding the plan. */
async function workerPlanFor(
  clip: string,
  outDir: string,
): Promise<{ args: string[]; width: number; height: number; duration: number | null; seconds: number }> {
  const { ffprobe } = workerBinaries();
  const threads = availableParallelism();
  const probed = await runTool(
    ffprobe,
    buildProbeArgs({
      input: clip,
      protocols: LOCAL_PROTOCOLS,
      maxPixels: DEFAULT_SOURCE_LIMITS.maxPixels,
      threads,
      countSeconds: DEFAULT_LEAGUE_FORMAT.maxSourceSeconds,
    }),
    new Date(Date.now() + DEADLINE_MS),
  );
  if (probed.exitCode !== 0)
    throw new Error(`${basename(clip)}: ffprobe failed: ${probed.stderr.slice(-300)}`);
  const probe = parseProbeOutput(probed.stdout);
  const description = describeSource(probe, DEFAULT_LEAGUE_FORMAT, DEFAULT_SOURCE_LIMITS);
  const video = probe.streams.find((stream) => stream.type === 'video' && !stream.attachedPicture);
  const args = buildEditArgs({
    source: clip,
    logoPath: resolve('assets/logo/idrl-logo.png'),
    videoOutput: join(outDir, 'edit.mp4'),
    thumbnailOutput: join(outDir, 'edit.jpg'),
    format: DEFAULT_LEAGUE_FORMAT,
    maxPixels: DEFAULT_SOURCE_LIMITS.maxPixels,
    threads,
    posterSeconds: 0,
    ...description,
  });
  return {
    args: readingLocalFile(args),
    width: video?.width ?? 0,
    height: video?.height ?? 0,
    duration: probe.durationSeconds,
    seconds: description.sourceSeconds,
  };
}

/** One clip's row: `rounds` edits with the worker's build, each measured and compared with the fitted source. */
export async function footageRow(
  clip: string,
  rounds: number,
  log: (line: string) => void,
): Promise<FootageRow> {
  const outDir = await mkdtemp(join(tmpdir(), 'idrl-bench-footage-'));
  try {
    const plan = await workerPlanFor(clip, outDir);
    const runs: { cpu: number; wall: number; peak: number; bytes: number; ssim: number }[] = [];
    for (let round_ = 1; round_ <= rounds; round_ += 1) {
      const measured = await measuredEdit(workerBinaries().ffmpeg, plan.args);
      const output = join(outDir, 'edit.mp4');
      const run = {
        cpu: round(measured.cpuSeconds),
        wall: round(measured.wallSeconds),
        peak: round(measured.peakMiB),
        bytes: (await stat(output)).size,
        ssim: await middleSsim(output, clip, plan.seconds),
      };
      runs.push(run);
      log(
        `  ${basename(clip)} round ${round_}/${rounds}: ${run.cpu} CPU-s, ${run.wall} s, ${run.peak} MiB, ${run.bytes} bytes, SSIM ${run.ssim}`,
      );
    }
    return {
      clip: basename(clip),
      sourceBytes: (await stat(clip)).size,
      width: plan.width,
      height: plan.height,
      durationSeconds: plan.duration,
      editedSeconds: plan.seconds,
      outputBytes: summarize(runs.map((r) => r.bytes)),
      ssim: summarize(runs.map((r) => r.ssim)),
      cpuSeconds: summarize(runs.map((r) => r.cpu)),
      wallSeconds: summarize(runs.map((r) => r.wall)),
      peakMiB: summarize(runs.map((r) => r.peak)),
    };
  } finally {
    await rm(outDir, { recursive: true, force: true });
  }
}

/**
 * One row per clip of `dir` (BENCH_FOOTAGE_DIR by default), after the synthetic source's when one is given; absent
 * (with the reason, which the bench prints) when the variable is unset or the folder holds no clip.
 */
export async function benchFootage({
  rounds,
  log,
  syntheticSource,
  dir = process.env[FOOTAGE_DIR_VARIABLE],
}: {
  rounds: number;
  log: (line: string) => void;
  syntheticSource?: string;
  dir?: string;
}): Promise<FootageResult> {
  if (dir === undefined || dir.trim() === '')
    return { status: 'absent', reason: `${FOOTAGE_DIR_VARIABLE} is not set` };
  const clips = await clipsIn(resolve(dir)).catch((error: unknown) => {
    throw new Error(`${FOOTAGE_DIR_VARIABLE}=${dir} cannot be read`, { cause: error });
  });
  if (clips.length === 0) return { status: 'absent', reason: `${dir} holds no clip` };
  const rows = [];
  for (const clip of syntheticSource === undefined ? clips : [syntheticSource, ...clips])
    rows.push(await footageRow(clip, rounds, log));
  return { status: 'measured', dir: resolve(dir), rounds, rows };
}
