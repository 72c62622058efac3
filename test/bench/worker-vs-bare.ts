/**
 * Worker vs the limit: the worker path (fetch + probe + edit + upload + database update, through
 * the local stack's S3 and PostgreSQL) against one bare single-pass ffmpeg command producing the
 * same output from a local file with the same binary and the same arguments. Run alternately, so a
 * drift in the machine's speed hits both sides of a pair alike.
 */
import { createdTask } from '#test/helpers/tasks';
import { randomUUID } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import type { SQSBatchResponse } from 'aws-lambda';
import { buildEditArgs } from '#adapters/ffmpeg/edit-command';
import { DEFAULT_LEAGUE_FORMAT, DEFAULT_SOURCE_LIMITS } from '#core/league-format';
import { thumbnailKey } from '#core/object-keys';
import { bytesReadLines } from '#adapters/ffmpeg/probe';
import { runTool } from '#adapters/ffmpeg/run-tool';
import { invoke } from '#infra/local/lambda-context';
import { freePort } from '#infra/local/services/preflight';
import { type BackingServices, LOCAL_REGION, startBackingServices } from '#infra/local/services/backing';
import { storedObjectNotification } from '#infra/local/services/s3';
import { sqsEvent } from '#test/helpers/sqs';
import { workerBinaries } from '#test/support/media-tools';
import { loadAverage, withChildCpu } from './cpu';
import { samplePeakChildMemory } from './memory';
import { round, summarize, type Summary } from './stats';

export interface WorkerBenchResult {
  pairs: {
    workerSeconds: number;
    bareSeconds: number;
    ratio: number;
    workerCpuSeconds: number;
    bareCpuSeconds: number;
    cpuRatio: number;
  }[];
  workerSeconds: Summary;
  bareSeconds: Summary;
  /** Wall-clock seconds, worker ÷ bare: what a pilot waits, but also whatever else the machine ran. */
  ratio: Summary;
  /**
   * User + system CPU seconds of the ffmpeg process tree (the worker's ffprobe and ffmpeg, the bare
   * ffmpeg), worker ÷ bare: the work done, close to the same on an idle and a busy machine.
   */
  workerCpuSeconds: Summary;
  bareCpuSeconds: Summary;
  cpuRatio: Summary;
  /** 1/5/15-minute load averages before the first pair and after the last: above the core count, distrust the wall ratio. */
  loadAverage: { before: [number, number, number]; after: [number, number, number] };
  /** Peak resident memory of the ffmpeg process on each side, MiB (medians). */
  peakFfmpegMiB: { worker: number; bare: number };
  /**
   * Bytes of the source: sent by the worker's loopback source to ffprobe + ffmpeg (what left S3,
   * socket read-ahead included), and read by the bare ffmpeg from its local file (its own statistics).
   */
  sourceBytesRead: { worker: number; bare: number; sourceFileBytes: number };
  outputBytes: number;
  /** The edit's poster (the thumbnail JPEG), as stored. */
  thumbnailBytes: number;
}

const WORKER_TIMEOUT_SECONDS = 180;
const LOGO_PATH = resolve('assets/logo/idrl-logo.png');

async function timed<T>(run: () => Promise<T>): Promise<{ seconds: number; value: T }> {
  const started = performance.now();
  const value = await run();
  return { seconds: (performance.now() - started) / 1000, value };
}

/**
 * The worker's edit arguments for the bench source (60 s, audio: the plan `describeSource` makes of it) read from
 * `source`: the worker's loopback URL, or, through bareEditArgs, the local file.
 */
export function workerEditArgs(source: string, outDir: string, name: string): string[] {
  return buildEditArgs({
    source,
    demuxer: 'mov',
    maxPixels: DEFAULT_SOURCE_LIMITS.maxPixels,
    threads: availableParallelism(),
    logoPath: LOGO_PATH,
    startSeconds: 0,
    sourceSeconds: DEFAULT_LEAGUE_FORMAT.maxSourceSeconds,
    posterSeconds: 0,
    hasAudio: true,
    videoOutput: join(outDir, `${name}.mp4`),
    thumbnailOutput: join(outDir, `${name}.jpg`),
    format: DEFAULT_LEAGUE_FORMAT,
  });
}

/** Edit arguments that read the source from a local file: the worker reads over http, and nothing else changes. */
export function readingLocalFile(args: readonly string[]): string[] {
  return args.map((arg, index) =>
    args[index - 1] === '-protocol_whitelist' && arg !== 'file' ? 'file' : arg,
  );
}

/** The worker's edit arguments for a local source (the worker reads over HTTP; the bare run reads the file). */
export function bareEditArgs(source: string, outDir: string, name: string): string[] {
  return readingLocalFile(workerEditArgs(source, outDir, name));
}

/**
 * The bare pass, started as the worker starts its tools (runTool: empty environment, a session of its own), so
 * the two sides of a pair differ in what the worker does and in nothing about how the child was spawned
 * (docs/performance.md, "Where the worker's CPU goes").
 */
async function bareFfmpeg(ffmpeg: string, source: string, outDir: string): Promise<number> {
  const editArgs = bareEditArgs(source, outDir, 'bare');
  // The edit logs errors only; ffmpeg prints "Statistics: N bytes read" per input at verbose, so the
  // bare run alone logs at that level (a few dozen lines: no effect on its time).
  const args = editArgs.map((arg, index) => (editArgs[index - 1] === '-loglevel' ? 'verbose' : arg));
  const result = await runTool(ffmpeg, args, new Date(Date.now() + WORKER_TIMEOUT_SECONDS * 1000));
  if (result.exitCode !== 0)
    throw new Error(`bare ffmpeg exited ${String(result.exitCode)}: ${result.stderr.slice(-500)}`);
  // Of the final two "bytes read" lines, the first is input 0 (the source).
  const sourceBytes = bytesReadLines(result.stderr).at(-2);
  if (sourceBytes === undefined) throw new Error('bare ffmpeg printed no "bytes read" statistics');
  return sourceBytes;
}

/**
 * The platform's backing services without the queue: the bench invokes the worker itself, so each
 * run is timed from its first byte fetched. Handlers imported afterwards read this environment.
 */
export async function withBackingServices<T>(work: (services: BackingServices) => Promise<T>): Promise<T> {
  const stateDir = await mkdtemp(join(tmpdir(), 'idrl-bench-services-'));
  const services = await startBackingServices({
    ports: { postgres: await freePort(), s3: await freePort(), cognito: await freePort() },
    stateDir,
    database: 'idrl',
    corsOrigins: [],
    onObjectCreated: () => Promise.resolve(),
  });
  try {
    Object.assign(process.env, services.env, { LOG_LEVEL: 'WARN', POWERTOOLS_METRICS_DISABLED: 'true' });
    return await work(services);
  } finally {
    const { databasePool } = await import('#commons/clients');
    await databasePool().end();
    await services.stop();
    await rm(stateDir, { recursive: true, force: true });
  }
}

export async function benchWorkerVsBare(
  services: BackingServices,
  sourcePath: string,
  pairs: number,
  log: (line: string) => void,
): Promise<WorkerBenchResult> {
  const [{ handler }, { getObjectStore, getTaskRepository }, { s3Client }] = await Promise.all([
    import('#functions/worker/process-upload'),
    import('#commons/composition-root'),
    import('#commons/clients'),
  ]);
  const tasks = getTaskRepository();
  const owner = { sub: randomUUID(), username: 'bench-pilot' };
  await tasks.ensureUser(owner);
  const { size } = await stat(sourcePath);
  const outDir = await mkdtemp(join(tmpdir(), 'idrl-bench-bare-'));
  const { ffmpeg } = workerBinaries();
  const results: WorkerBenchResult['pairs'] = [];
  const workerPeaks: number[] = [];
  const barePeaks: number[] = [];
  let workerBytes = 0;
  let bareBytes = 0;
  let outputBytes = 0;
  let thumbnailBytes = 0;
  const loadBefore = loadAverage();
  log(`  load average before: ${loadBefore.join(' ')}`);

  for (let pair = 1; pair <= pairs; pair += 1) {
    const task = await createdTask(tasks, {
      ownerId: owner.sub,
      fileName: 'race-60s-1080p.mp4',
      contentType: 'video/mp4',
      declaredBytes: size,
      uploadExpiresAt: new Date(Date.now() + 3_600_000),
      keyNonce: randomUUID(),
    });
    await s3Client().send(
      new PutObjectCommand({
        Bucket: services.s3.bucket,
        Key: task.originalKey,
        Body: createReadStream(sourcePath),
        ContentLength: size,
        ContentType: 'video/mp4',
      }),
    );
    const notification = storedObjectNotification({
      bucket: services.s3.bucket,
      key: task.originalKey,
      size,
      eTag: 'bench',
      region: LOCAL_REGION,
      storedAt: new Date(),
    });

    const workerMemory = samplePeakChildMemory(/^ffmpeg$/);
    const worker = await timed(() =>
      withChildCpu(() =>
        invoke(
          {
            name: 'process-upload',
            region: LOCAL_REGION,
            timeoutSeconds: WORKER_TIMEOUT_SECONDS,
            memoryMb: 3008,
          },
          (context) =>
            handler(sqsEvent(JSON.stringify(notification)), context) as Promise<SQSBatchResponse | undefined>,
        ),
      ),
    );
    workerPeaks.push(await workerMemory.stop());
    if ((worker.value.value?.batchItemFailures.length ?? 0) > 0)
      throw new Error(`the worker reported a failure for task ${task.id}`);
    const processed = await tasks.findForOwner(task.id, owner.sub);
    if (processed?.status !== 'processed' || processed.processed === null) {
      throw new Error(
        `task ${task.id} ended ${processed?.status ?? 'missing'}: ${processed?.failureReason ?? ''}`,
      );
    }
    workerBytes = processed.processed.sourceBytesRead;
    outputBytes = processed.processed.sizeBytes;
    thumbnailBytes = (await getObjectStore().stat(thumbnailKey(task.id)))?.sizeBytes ?? 0;

    const bareMemory = samplePeakChildMemory(/^ffmpeg$/);
    const bare = await timed(() => withChildCpu(() => bareFfmpeg(ffmpeg, sourcePath, outDir)));
    barePeaks.push(await bareMemory.stop());
    bareBytes = bare.value.value;

    const ratio = worker.seconds / bare.seconds;
    const cpuRatio = worker.value.cpuSeconds / bare.value.cpuSeconds;
    results.push({
      workerSeconds: round(worker.seconds, 3),
      bareSeconds: round(bare.seconds, 3),
      ratio: round(ratio, 3),
      workerCpuSeconds: round(worker.value.cpuSeconds, 2),
      bareCpuSeconds: round(bare.value.cpuSeconds, 2),
      cpuRatio: round(cpuRatio, 3),
    });
    log(
      `  pair ${pair}/${pairs}: worker ${worker.seconds.toFixed(2)} s (${worker.value.cpuSeconds.toFixed(2)} CPU-s), bare ffmpeg ${bare.seconds.toFixed(2)} s (${bare.value.cpuSeconds.toFixed(2)} CPU-s), ratio ${ratio.toFixed(3)} wall, ${cpuRatio.toFixed(3)} CPU`,
    );
  }
  const loadAfter = loadAverage();
  log(`  load average after: ${loadAfter.join(' ')}`);
  await rm(outDir, { recursive: true, force: true });
  return {
    pairs: results,
    workerSeconds: summarize(results.map((r) => r.workerSeconds)),
    bareSeconds: summarize(results.map((r) => r.bareSeconds)),
    ratio: summarize(results.map((r) => r.ratio)),
    workerCpuSeconds: summarize(results.map((r) => r.workerCpuSeconds)),
    bareCpuSeconds: summarize(results.map((r) => r.bareCpuSeconds)),
    cpuRatio: summarize(results.map((r) => r.cpuRatio)),
    loadAverage: { before: loadBefore, after: loadAfter },
    peakFfmpegMiB: {
      worker: round(summarize(workerPeaks).median, 1),
      bare: round(summarize(barePeaks).median, 1),
    },
    sourceBytesRead: { worker: workerBytes, bare: bareBytes, sourceFileBytes: size },
    outputBytes,
    thumbnailBytes,
  };
}
