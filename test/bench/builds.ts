/**
 * The worker's static ffmpeg build against Debian's packaged ffmpeg of the same 5.1 line (the tests'
 * media build: dynamic, every component), on the same source with the worker's own edit arguments, alternately: encode CPU seconds, wall seconds, peak
 * memory (ffmpeg's own -benchmark figures), output size, and the SSIM of the edited
 * middle segment against the source scaled the same way.
 */
import { execFile, spawn } from 'node:child_process';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { fitAndPad } from '#adapters/ffmpeg/edit-command';
import { DEFAULT_LEAGUE_FORMAT } from '#core/league-format';
import { MEDIA_FFMPEG_PATH, workerBinaries } from '#test/support/media-tools';
import { round, summarize, type Summary } from './stats';
import { bareEditArgs } from './worker-vs-bare';

const run = promisify(execFile);

interface BuildRun {
  cpuSeconds: number;
  wallSeconds: number;
  peakMiB: number;
  outputBytes: number;
  ssim: number;
}

export interface BuildSummary {
  binary: string;
  version: string;
  cpuSeconds: Summary;
  wallSeconds: Summary;
  peakMiB: Summary;
  outputBytes: Summary;
  ssim: Summary;
}

/**
 * Runs the edit with -benchmark: ffmpeg reports its own user + system CPU time, wall time and peak
 * RSS (getrusage) at info level, so the bench run alone logs at that level (a few lines).
 */
export function measuredEdit(
  ffmpeg: string,
  editArgs: string[],
): Promise<Omit<BuildRun, 'outputBytes' | 'ssim'>> {
  const args = [
    '-benchmark',
    ...editArgs.map((arg, index) => (editArgs[index - 1] === '-loglevel' ? 'info' : arg)),
  ];
  return new Promise((done, fail) => {
    const child = spawn(ffmpeg, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.on('error', fail);
    child.on('close', (code) => {
      const times = /bench: utime=([\d.]+)s stime=([\d.]+)s rtime=([\d.]+)s/.exec(stderr);
      const rss = /bench: maxrss=(\d+)kB/.exec(stderr);
      if (code !== 0 || !times || !rss)
        fail(new Error(`${ffmpeg} exited ${String(code)}: ${stderr.slice(-500)}`));
      else
        done({
          cpuSeconds: Number(times[1]) + Number(times[2]),
          wallSeconds: Number(times[3]),
          peakMiB: Number(rss[1]) / 1024,
        });
    });
  });
}

/**
 * SSIM of the edit's middle segment (after the intro card, `seconds` long) against the same seconds of the source
 * fitted as the edit fits them (scale inside the frame, pad, 30 fps; both autorotated), so a portrait or 4:3 clip
 * is compared with its pillarboxed self.
 */
export async function middleSsim(
  output: string,
  source: string,
  seconds: number = DEFAULT_LEAGUE_FORMAT.maxSourceSeconds,
): Promise<number> {
  const { fps, logoSeconds } = DEFAULT_LEAGUE_FORMAT;
  const { stderr } = await run(MEDIA_FFMPEG_PATH, [
    '-nostdin',
    '-hide_banner',
    '-ss',
    String(logoSeconds),
    '-t',
    String(seconds),
    '-i',
    output,
    '-t',
    String(seconds),
    '-i',
    source,
    '-lavfi',
    `[0:v]setpts=PTS-STARTPTS[edit];[1:v]fps=${fps},${fitAndPad(DEFAULT_LEAGUE_FORMAT)},setpts=PTS-STARTPTS[reference];[edit][reference]ssim`,
    '-f',
    'null',
    '-',
  ]);
  const all = / All:([\d.]+)/.exec(stderr)?.[1];
  if (all === undefined) throw new Error('ffmpeg printed no SSIM');
  return Number(all);
}

export async function version(ffmpeg: string): Promise<string> {
  const { stdout } = await run(ffmpeg, ['-hide_banner', '-version']);
  return stdout.split('\n')[0] ?? '';
}

export async function benchBuilds(
  source: string,
  rounds: number,
  log: (line: string) => void,
): Promise<{ pinned: BuildSummary; packaged: BuildSummary }> {
  const builds = { pinned: workerBinaries().ffmpeg, packaged: MEDIA_FFMPEG_PATH };
  const runs: Record<keyof typeof builds, BuildRun[]> = { pinned: [], packaged: [] };
  const outDir = await mkdtemp(join(tmpdir(), 'idrl-bench-builds-'));
  try {
    for (let round_ = 1; round_ <= rounds; round_ += 1) {
      for (const name of ['pinned', 'packaged'] as const) {
        const measured = await measuredEdit(builds[name], bareEditArgs(source, outDir, name));
        const output = join(outDir, `${name}.mp4`);
        const result = {
          ...measured,
          outputBytes: (await stat(output)).size,
          ssim: await middleSsim(output, source),
        };
        runs[name].push(result);
        log(
          `  round ${round_} ${name}: ${round(result.cpuSeconds)} CPU-s, ${round(result.wallSeconds)} s, ${round(result.peakMiB)} MiB, ${result.outputBytes} bytes, SSIM ${result.ssim}`,
        );
      }
    }
  } finally {
    await rm(outDir, { recursive: true, force: true });
  }
  const summary = async (name: keyof typeof builds): Promise<BuildSummary> => ({
    binary: builds[name],
    version: await version(builds[name]),
    cpuSeconds: summarize(runs[name].map((r) => round(r.cpuSeconds))),
    wallSeconds: summarize(runs[name].map((r) => round(r.wallSeconds))),
    peakMiB: summarize(runs[name].map((r) => round(r.peakMiB))),
    outputBytes: summarize(runs[name].map((r) => r.outputBytes)),
    ssim: summarize(runs[name].map((r) => r.ssim)),
  });
  return { pinned: await summary('pinned'), packaged: await summary('packaged') };
}
