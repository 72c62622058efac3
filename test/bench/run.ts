/**
 * `npm run bench`: measures this machine, prints a table and writes test/bench/results/latest.json
 * (ignored by git). Never part of `npm test`: goals are reported against, never gated on.
 *   BENCH_PAIRS (5) worker/bare pairs · BENCH_UPLOADS (3) uploads timed through the stack
 *   BENCH_BUILD_ROUNDS (3) alternating edits with the worker's ffmpeg and Debian's packaged one
 *   BENCH_ONLY=gallery: only the public gallery's load and plans (test/bench/results/gallery.json)
 *   BENCH_ONLY=periods: only the rankings by period and the pilot page, 1M votes (test/bench/results/periods.json)
 *   BENCH_ONLY=cut: only the cut's rows (test/bench/results/cut.json) · BENCH_CUT_ROUNDS (2) alternating rounds
 *   BENCH_ONLY=worker: only the worker's CPU rows: the pairs and where the worker's CPU goes
 *   (test/bench/results/worker.json)
 *   BENCH_FOOTAGE_DIR: a folder of real clips, each edited BENCH_BUILD_ROUNDS times beside the synthetic source
 *   (size, SSIM, CPU); BENCH_ONLY=footage: only those rows (test/bench/results/footage.json)
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { cpus, totalmem } from 'node:os';
import { resolve } from 'node:path';
import { DEFAULT_LEAGUE_FORMAT } from '#core/league-format';
import { benchBuilds } from './builds';
import { costReport } from './cost';
import { benchFootage, FOOTAGE_DIR_VARIABLE, type FootageResult } from './footage';
import { benchGallery, type GalleryBenchResult } from './gallery';
import { benchPeriods, PERIODS_GOAL_P95_MS, type PeriodsBenchResult } from './periods';
import { benchFunctionsColdInit } from './functions';
import { benchSource, LONG_SOURCE } from './source';
import { benchCut, CUT_GOAL_RATIO, type CutBenchResult } from './cut';
import type { LoadRow } from './load';
import { benchThroughStack } from './stack';
import { round } from './stats';
import { benchWorkerParts, WORKER_PART_LABELS, WORKER_PARTS, type WorkerPartsResult } from './worker-parts';
import { benchWorkerVsBare, withBackingServices, type WorkerBenchResult } from './worker-vs-bare';

// The bench creates thousands of tasks for one pilot on purpose: it measures speed, not the per-pilot quotas.
process.env.MAX_UNFINISHED_TASKS ??= String(Number.MAX_SAFE_INTEGER);
process.env.MAX_DAILY_UPLOAD_BYTES ??= String(Number.MAX_SAFE_INTEGER);

const GOALS = {
  workerRatio: 1.1,
  workerCpuRatio: 1.03,
  apiP95Ms: 20,
  apiBundleKiB: 500,
  coldInitMs: 200,
} as const;

function count(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1)
    throw new Error(`${name} must be a positive whole number, got "${raw}"`);
  return value;
}

function log(line: string): void {
  process.stdout.write(`${line}\n`);
}

function verdict(ok: boolean): string {
  return ok ? 'within goal' : 'OVER goal';
}

/** A latency goal holds only for a load the route answered in full: a refusal or an error is no answer. */
function withinLatencyGoal(row: LoadRow, goalMs: number): boolean {
  return row.non2xx === 0 && row.errors === 0 && row.p95Ms <= goalMs;
}

function table(rows: (string | number)[][]): string {
  const widths =
    rows[0]?.map((_, column) => Math.max(...rows.map((row) => String(row[column]).length))) ?? [];
  return rows
    .map((row) => row.map((cell, column) => String(cell).padEnd(widths[column] ?? 0)).join('  '))
    .join('\n');
}

/** Load results per endpoint and concurrency; with the goal, the 1-connection rows say whether they meet it. */
function loadTable(rows: readonly LoadRow[], { withGoal }: { withGoal: boolean }): string {
  const header = [
    'endpoint',
    'connections',
    'requests',
    'req/s',
    'p50 ms',
    'p95 ms',
    'p99 ms',
    'non-2xx',
    'errors',
  ];
  return table([
    withGoal ? [...header, ''] : header,
    ...rows.map((row) => {
      const cells = [
        row.endpoint,
        row.connections,
        row.requests,
        row.requestsPerSecond,
        row.p50Ms,
        row.p95Ms,
        row.p99Ms,
        row.non2xx,
        row.errors,
      ];
      if (!withGoal) return cells;
      return [...cells, row.connections === 1 ? verdict(withinLatencyGoal(row, GOALS.apiP95Ms)) : ''];
    }),
  ]);
}

function logGallery(gallery: GalleryBenchResult): void {
  log(
    `\nPublic gallery load (${gallery.seed.videos} published videos, ${gallery.seed.votes} votes, ${gallery.seed.pilots} pilots)`,
  );
  log(loadTable(gallery.load, { withGoal: true }));
  log(
    `load average 1/5/15 min before / after (${cpus().length} cores): ${gallery.loadAverage.before.join(' ')} / ${gallery.loadAverage.after.join(' ')}`,
  );
  for (const [name, plan] of Object.entries(gallery.plans)) log(`\nEXPLAIN ANALYZE ${name}\n${plan}`);
}

function logPeriods(periods: PeriodsBenchResult): void {
  const { seed } = periods;
  log(
    `\nRankings by period and the pilot page (${seed.videos} published videos, ${seed.votes} votes over the seasons ${seed.seasons.join(', ')}, ${seed.pilots} pilots; votes per period ${JSON.stringify(seed.votesPerPeriod)})`,
  );
  log(
    table([
      ['endpoint', 'connections', 'requests', 'p50 ms', 'p95 ms', 'p99 ms', 'non-2xx', 'errors', ''],
      ...periods.load.map((row) => [
        row.endpoint,
        row.connections,
        row.requests,
        row.p50Ms,
        row.p95Ms,
        row.p99Ms,
        row.non2xx,
        row.errors,
        `${verdict(withinLatencyGoal(row, PERIODS_GOAL_P95_MS))} (p95 ≤ ${PERIODS_GOAL_P95_MS} ms, every answer 2xx)`,
      ]),
    ]),
  );
  log(`first ranking of the day per period, ms: ${JSON.stringify(periods.firstRankingOfTheDayMs)}`);
  log(
    `sequential scans over votes in the plans: ${periods.votesSeqScans.length === 0 ? 'none (within goal)' : `${periods.votesSeqScans.join(', ')} (OVER goal)`}`,
  );
  log(
    `load average 1/5/15 min before / after (${cpus().length} cores): ${periods.loadAverage.before.join(' ')} / ${periods.loadAverage.after.join(' ')}`,
  );
  for (const [name, plan] of Object.entries(periods.plans))
    log(`\nEXPLAIN (ANALYZE, BUFFERS) ${name}\n${plan}`);
}

async function writeResult(name: string, value: unknown): Promise<string> {
  const out = resolve(`test/bench/results/${name}.json`);
  await mkdir(resolve('test/bench/results'), { recursive: true });
  await writeFile(out, `${JSON.stringify(value, null, 2)}\n`);
  return out;
}

/** The cut's rows: bytes and seconds for the window at 0 and at 80 % of the 10-minute source, against the goal. */
function cutTable(cut: CutBenchResult): string {
  const ratioRow = (figure: string, ratio: number) => [
    figure,
    ratio,
    `≤ ${CUT_GOAL_RATIO}`,
    verdict(ratio <= CUT_GOAL_RATIO),
  ];
  return [
    table([
      ['window', 'bytes sent (median)', 'seconds (median, min–max)'],
      ...[cut.atStart, cut.atEighty].map((window) => [
        `${window.startSeconds} s of ${cut.sourceSeconds} s`,
        window.bytesSent.median,
        `${round(window.seconds.median)} (${round(window.seconds.min)}–${round(window.seconds.max)})`,
      ]),
    ]),
    table([
      ['figure', 'measured', 'goal', ''],
      ratioRow('cut at 80 % / at 0, bytes', cut.bytesRatio),
      ratioRow('cut at 80 % / at 0, seconds', cut.secondsRatio),
    ]),
    `source ${cut.sourceBytes} bytes; load average 1/5/15 min before / after: ${cut.loadAverage.before.join(' ')} / ${cut.loadAverage.after.join(' ')}`,
  ].join('\n');
}

/** The worker ÷ bare CPU ratio against its goal, with the load average that says how far to trust it. */
function workerCpuRows(worker: WorkerBenchResult): (string | number)[][] {
  return [
    [
      'worker / bare ffmpeg, CPU seconds (median ratio)',
      `${worker.cpuRatio.median} (min ${worker.cpuRatio.min}, max ${worker.cpuRatio.max})`,
      `≤ ${GOALS.workerCpuRatio}`,
      verdict(worker.cpuRatio.median <= GOALS.workerCpuRatio),
    ],
    [
      `load average 1/5/15 min before / after the pairs (${cpus().length} cores)`,
      `${worker.loadAverage.before.join(' ')} / ${worker.loadAverage.after.join(' ')}`,
      '',
      '',
    ],
  ];
}

/** Where the worker's CPU goes: each tool run alone, against the bare edit (test/bench/worker-parts.ts). */
function workerPartsTable(parts: WorkerPartsResult): string {
  const bare = parts.parts.bareEdit.cpuSeconds.median;
  return [
    table([
      ['run', 'CPU s (median, min–max)', 'of which system', '% of the bare edit'],
      ...WORKER_PARTS.map((part) => {
        const { cpuSeconds, systemSeconds } = parts.parts[part];
        return [
          WORKER_PART_LABELS[part],
          `${round(cpuSeconds.median, 3)} (${round(cpuSeconds.min, 3)}–${round(cpuSeconds.max, 3)})`,
          round(systemSeconds.median, 3),
          `${round((100 * cpuSeconds.median) / bare, 1)} %`,
        ];
      }),
    ]),
    table([
      ['figure', 'measured (median, min–max)'],
      [
        "worker's tools ÷ bare edit (probe + loopback edit + output probe)",
        `${parts.toolsRatio.median} (${parts.toolsRatio.min}–${parts.toolsRatio.max})`,
      ],
      [
        'loopback edit ÷ bare edit',
        `${parts.loopbackRatio.median} (${parts.loopbackRatio.min}–${parts.loopbackRatio.max})`,
      ],
      [
        'Node CPU s during the loopback edit (loopback source + s3rver; not in the ratio)',
        `${parts.proxyNodeCpuSeconds.median} (${parts.proxyNodeCpuSeconds.min}–${parts.proxyNodeCpuSeconds.max})`,
      ],
      [
        'bytes sent by the loopback source: edit / probe / probe without count',
        `${parts.bytesSent.loopbackEdit} / ${parts.bytesSent.sourceProbe} / ${parts.bytesSent.sourceProbeUncounted}`,
      ],
    ]),
    `${parts.rounds} rounds; load average 1/5/15 min before / after (${cpus().length} cores): ${parts.loadAverage.before.join(' ')} / ${parts.loadAverage.after.join(' ')}`,
  ].join('\n');
}

/** The real-footage rows, or why there are none and what would bring them. */
function footageTable(footage: FootageResult): string {
  if (footage.status === 'absent')
    return [
      `No real-footage rows: ${footage.reason}. Put the league's clips (or any footage like the pilots') in a folder`,
      `and run with ${FOOTAGE_DIR_VARIABLE}=<folder> (docs/performance.md, "Real footage"); the synthetic source alone`,
      'flatters or penalises the encoder in ways real clips do not.',
    ].join('\n');
  return [
    table([
      [
        'clip',
        'source',
        'bytes',
        'seconds edited',
        'output bytes',
        'SSIM (middle)',
        'CPU s',
        'wall s',
        'peak MiB',
      ],
      ...footage.rows.map((row) => [
        row.clip,
        `${row.width}×${row.height}, ${row.durationSeconds === null ? '?' : round(row.durationSeconds, 1)} s`,
        row.sourceBytes,
        round(row.editedSeconds, 2),
        row.outputBytes.median,
        row.ssim.median,
        `${row.cpuSeconds.median} (${row.cpuSeconds.min}–${row.cpuSeconds.max})`,
        row.wallSeconds.median,
        row.peakMiB.median,
      ]),
    ]),
    `medians of ${footage.rounds} edit(s) per clip, worker's pinned build, from ${footage.dir}; the first row is the synthetic source`,
  ].join('\n');
}

async function runCut(log: (line: string) => void): Promise<CutBenchResult> {
  const source = await benchSource(log, LONG_SOURCE);
  const rounds = count('BENCH_CUT_ROUNDS', 2);
  log(
    `The pilot's cut: ${rounds} alternating rounds of the window at 0 and at 80 % of a 10-minute 1080p source`,
  );
  return withBackingServices(() => benchCut(source, rounds, log));
}

async function main(): Promise<void> {
  if (process.env.BENCH_ONLY === 'footage') {
    const rounds = count('BENCH_BUILD_ROUNDS', 3);
    log(`Real footage: ${rounds} edits per clip with the worker's build, beside the synthetic source`);
    const footage = await benchFootage({ rounds, log, syntheticSource: await benchSource(log) });
    log(`\nReal footage\n${footageTable(footage)}`);
    log(`\nWritten to ${await writeResult('footage', footage)}`);
    return;
  }
  if (process.env.BENCH_ONLY === 'worker') {
    const source = await benchSource(log);
    const pairs = count('BENCH_PAIRS', 5);
    log(`Worker vs bare single-pass ffmpeg: ${pairs} alternating pairs on a 60 s 1080p30 source`);
    const result = await withBackingServices(async (services) => ({
      worker: await benchWorkerVsBare(services, source, pairs, log),
      parts: await benchWorkerParts(source, pairs, log),
    }));
    log(`\n${table([['figure', 'measured', 'goal', ''], ...workerCpuRows(result.worker)])}`);
    log(`\nWhere the worker's CPU goes\n${workerPartsTable(result.parts)}`);
    log(`\nWritten to ${await writeResult('worker', result)}`);
    return;
  }
  if (process.env.BENCH_ONLY === 'cut') {
    const cut = await runCut(log);
    log(`\n${cutTable(cut)}`);
    log(`\nWritten to ${await writeResult('cut', cut)}`);
    return;
  }
  if (process.env.BENCH_ONLY === 'periods') {
    log('Rankings by period and the pilot page through the local stack');
    const periods = await benchPeriods(log);
    logPeriods(periods);
    log(`\nWritten to ${await writeResult('periods', periods)}`);
    return;
  }
  if (process.env.BENCH_ONLY === 'gallery') {
    log('Public gallery through the local stack');
    const gallery = await benchGallery(log);
    logGallery(gallery);
    log(`\nWritten to ${await writeResult('gallery', gallery)}`);
    return;
  }
  const pairs = count('BENCH_PAIRS', 5);
  const uploads = count('BENCH_UPLOADS', 3);
  const buildRounds = count('BENCH_BUILD_ROUNDS', 3);
  const started = Date.now();
  const machine = {
    cpus: cpus().length,
    cpuModel: cpus()[0]?.model ?? 'unknown',
    memoryGiB: round(totalmem() / 1024 ** 3, 1),
    node: process.version,
  };
  log(
    `IDRL benchmarks on ${machine.cpus} × ${machine.cpuModel}, ${machine.memoryGiB} GiB, Node ${machine.node}`,
  );

  const source = await benchSource(log);
  log(
    `ffmpeg builds: ${buildRounds} alternating rounds of the bare edit, worker's static build vs Debian's package`,
  );
  const builds = await benchBuilds(source, buildRounds, log);
  log(`Real footage (${FOOTAGE_DIR_VARIABLE}): ${buildRounds} edits per clip with the worker's build`);
  const footage = await benchFootage({ rounds: buildRounds, log, syntheticSource: source });
  log('Functions: bundle size and cold init (fresh process: import + first invocation)');
  log(`Worker vs bare single-pass ffmpeg: ${pairs} alternating pairs on a 60 s 1080p30 source`);
  const { functions, worker, workerParts } = await withBackingServices(async (services) => ({
    functions: await benchFunctionsColdInit(services.env, log),
    worker: await benchWorkerVsBare(services, source, pairs, log),
    workerParts: await benchWorkerParts(source, pairs, log),
  }));
  log(`Through the local stack: ${uploads} uploads, then API load`);
  const stack = await benchThroughStack(source, uploads, log);
  log('Public gallery through the local stack');
  const gallery = await benchGallery(log);
  log('Rankings by period and the pilot page through the local stack');
  const periods = await benchPeriods(log);
  const cut = await runCut(log);

  const getP50 =
    stack.load.find((row) => row.endpoint === 'get-task' && row.connections === 1)?.p50Ms ?? Number.NaN;
  // The public video's route on a CDN miss: the gallery's public list at 1 connection is the nearest measured.
  const publicP50 =
    gallery.load.find((row) => row.endpoint === 'public list' && row.connections === 1)?.p50Ms ?? Number.NaN;
  const cost = costReport({
    workerSeconds: worker.workerSeconds.median,
    // The league edit of the 60 s bench source: 2 s + 16 s + 2 s.
    outputSeconds: 2 * DEFAULT_LEAGUE_FORMAT.logoSeconds + DEFAULT_LEAGUE_FORMAT.maxSourceSeconds,
    outputBytes: worker.outputBytes,
    thumbnailBytes: worker.thumbnailBytes,
    sourceBytes: worker.sourceBytesRead.sourceFileBytes,
    // The local p50 covers the authorizer and the route function together: each is billed at most that.
    apiHandlerMs: getP50,
    authorizerMs: getP50,
    publicHandlerMs: publicP50,
  });

  const apiFunctions = functions.filter((fn) => fn.entry.startsWith('functions/api/'));
  const report = {
    machine,
    startedAt: new Date(started).toISOString(),
    seconds: round((Date.now() - started) / 1000, 1),
    goals: GOALS,
    builds,
    footage,
    worker,
    workerParts,
    stack,
    gallery,
    periods,
    cut,
    functions,
    cost,
  };
  const out = await writeResult('latest', report);

  const ratio = worker.ratio.median;
  // Worst endpoint per concurrency level: locally one process serves every connection, so high
  // levels measure its queue; on Lambda each concurrent request gets its own instance.
  const worstP95ByLevel = [...new Set(stack.load.map((row) => row.connections))].map((connections) => {
    const level = stack.load.filter((row) => row.connections === connections);
    return {
      connections,
      p95Ms: Math.max(...level.map((row) => row.p95Ms)),
      answered: level.every((row) => withinLatencyGoal(row, Number.POSITIVE_INFINITY)),
    };
  });
  const biggestApi = Math.max(...apiFunctions.map((fn) => fn.bundleKiB));
  const slowestCold = Math.max(...functions.map((fn) => fn.coldInitMs));
  log('\nSummary');
  log(
    table([
      ['figure', 'measured', 'goal', ''],
      [
        'worker / bare ffmpeg (median ratio)',
        `${ratio} (min ${worker.ratio.min}, max ${worker.ratio.max})`,
        `≤ ${GOALS.workerRatio}`,
        verdict(ratio <= GOALS.workerRatio),
      ],
      ...workerCpuRows(worker),
      ['worker seconds (median)', worker.workerSeconds.median, '', ''],
      ['bare ffmpeg seconds (median)', worker.bareSeconds.median, '', ''],
      [
        'peak ffmpeg memory MiB (worker / bare)',
        `${worker.peakFfmpegMiB.worker} / ${worker.peakFfmpegMiB.bare}`,
        '',
        '',
      ],
      [
        'source bytes read (worker / bare / file)',
        `${worker.sourceBytesRead.worker} / ${worker.sourceBytesRead.bare} / ${worker.sourceBytesRead.sourceFileBytes}`,
        '',
        '',
      ],
      [
        'upload last byte → processed, s (median)',
        `${round(stack.uploadToProcessedSeconds.median)} (min ${round(stack.uploadToProcessedSeconds.min)}, max ${round(stack.uploadToProcessedSeconds.max)})`,
        '',
        '',
      ],
      ...worstP95ByLevel.map(({ connections, p95Ms, answered }) => [
        `API p95 ms, worst endpoint, ${connections} connection(s)`,
        p95Ms,
        `≤ ${GOALS.apiP95Ms}, every answer 2xx`,
        verdict(answered && p95Ms <= GOALS.apiP95Ms),
      ]),
      [
        'largest API bundle (KiB)',
        biggestApi,
        `≤ ${GOALS.apiBundleKiB}`,
        verdict(biggestApi <= GOALS.apiBundleKiB),
      ],
      [
        'slowest cold init (ms)',
        slowestCold,
        `≤ ${GOALS.coldInitMs}`,
        verdict(slowestCold <= GOALS.coldInitMs),
      ],
      ['cost per processed video, ffmpeg (USD)', cost.perVideo.total.toFixed(6), '', ''],
      ['cost per processed video, MediaConvert (USD)', cost.perVideoMediaConvert.total.toFixed(6), '', ''],
      ['cost per 1 000 API calls (USD)', cost.per1000ApiCalls.total.toFixed(6), '', ''],
      ['cost per 1 000 views, media from S3 as served (USD)', cost.per1000Views.total.toFixed(6), '', ''],
      [
        'cost per 1 000 views, media through CloudFront (USD, not built)',
        cost.per1000ViewsThroughCloudFront.total.toFixed(6),
        '',
        '',
      ],
      ['cost per 1 000 gallery pages, no play (USD)', cost.per1000GalleryPages.total.toFixed(6), '', ''],
    ]),
  );
  log(`\nWhere the worker's CPU goes\n${workerPartsTable(workerParts)}`);
  log('\nffmpeg builds, bare edit of the same source (medians)');
  log(
    table([
      ['build', 'CPU s', 'wall s', 'peak MiB', 'output bytes', 'SSIM (middle segment)'],
      ...(['pinned', 'packaged'] as const).map((name) => [
        builds[name].version,
        builds[name].cpuSeconds.median,
        builds[name].wallSeconds.median,
        builds[name].peakMiB.median,
        builds[name].outputBytes.median,
        builds[name].ssim.median,
      ]),
    ]),
  );
  log(`\nReal footage\n${footageTable(footage)}`);
  log('\nAPI load (tasks in the database: ' + String(stack.tasksInDatabase) + ')');
  log(loadTable(stack.load, { withGoal: false }));
  logGallery(gallery);
  logPeriods(periods);
  log(`\nThe pilot's cut\n${cutTable(cut)}`);
  log('\nFunctions');
  log(
    table([
      ['function', 'bundle KiB', 'import ms', 'first invoke ms', 'cold init ms', 'first answer'],
      ...functions.map((fn) => [
        fn.name,
        fn.bundleKiB,
        fn.importMs,
        fn.firstInvokeMs,
        fn.coldInitMs,
        fn.outcome,
      ]),
    ]),
  );
  log(`\nWritten to ${out} in ${report.seconds} s`);
}

main().catch((error: unknown) => {
  process.stderr.write(
    `bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  process.exit(1);
});
