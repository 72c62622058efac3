/**
 * Where the worker's CPU goes beyond a bare ffmpeg pass (issue 28, item 4): each tool run of the worker's path
 * measured alone in CPU seconds, alternating with the bare edit, on the bench source stored in the local S3 and
 * served by the worker's own loopback source. The worker's tools are the source probe, the edit over the loopback
 * source and the output probe; their sum over the bare edit is the ratio `worker-vs-bare.ts` measures whole. The
 * source probe without its packet count and the Node process's own CPU (the loopback source and s3rver, which
 * the ratio leaves out) are measured beside them to show what the count and the proxy cost.
 */
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { LOCAL_PROTOCOLS, SOURCE_PROTOCOLS } from '#adapters/ffmpeg/components';
import { LoopbackSourceServer } from '#adapters/ffmpeg/loopback-source';
import { buildProbeArgs } from '#adapters/ffmpeg/probe';
import { runTool } from '#adapters/ffmpeg/run-tool';
import { DEFAULT_LEAGUE_FORMAT, DEFAULT_SOURCE_LIMITS } from '#core/league-format';
import { workerBinaries } from '#test/support/media-tools';
import { loadAverage, withChildCpu } from './cpu';
import { round, summarize, type Summary } from './stats';
import { bareEditArgs, workerEditArgs } from './worker-vs-bare';

/** The measured runs, in the order each round runs them. */
export const WORKER_PARTS = [
  'bareEdit',
  'sourceProbe',
  'loopbackEdit',
  'outputProbe',
  'sourceProbeUncounted',
] as const;
export type WorkerPart = (typeof WORKER_PARTS)[number];

export const WORKER_PART_LABELS: Record<WorkerPart, string> = {
  bareEdit: 'bare edit, local file (the limit)',
  sourceProbe: 'source probe, loopback (-count_packets -read_intervals %+16)',
  loopbackEdit: 'edit, loopback source (same arguments, http)',
  outputProbe: 'output probe, local file',
  sourceProbeUncounted: 'source probe without the packet count (not run by the worker)',
};

interface PartRun {
  cpuSeconds: number;
  systemSeconds: number;
}

export interface WorkerPartsResult {
  rounds: number;
  /** Children's CPU seconds (user + system) per part, and their system share. */
  parts: Record<WorkerPart, { cpuSeconds: Summary; systemSeconds: Summary }>;
  /** Per round: (source probe + loopback edit + output probe) ÷ bare edit, the worker's tools against the limit. */
  toolsRatio: Summary;
  /** Per round: loopback edit ÷ bare edit, the cost of reading over HTTP alone. */
  loopbackRatio: Summary;
  /** The bench process's own CPU during the loopback edit: the loopback source plus s3rver (S3's side on AWS). */
  proxyNodeCpuSeconds: Summary;
  /** Bytes the loopback source sent to the edit and to the counting probe (medians). */
  bytesSent: { loopbackEdit: number; sourceProbe: number; sourceProbeUncounted: number };
  loadAverage: { before: [number, number, number]; after: [number, number, number] };
}

const DEADLINE_MS = 600_000;

async function toolCpu(path: string, args: string[]): Promise<PartRun> {
  const { cpuSeconds, systemSeconds, value } = await withChildCpu(() =>
    runTool(path, args, new Date(Date.now() + DEADLINE_MS)),
  );
  if (value.exitCode !== 0)
    throw new Error(`${path} exited ${String(value.exitCode)}: ${value.stderr.slice(-500)}`);
  return { cpuSeconds, systemSeconds };
}

function nodeCpuSeconds(): number {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1e6;
}

/** Runs the parts `rounds` times in the order of WORKER_PARTS; needs the backing services' S3 (withBackingServices). */
export async function benchWorkerParts(
  sourcePath: string,
  rounds: number,
  log: (line: string) => void,
): Promise<WorkerPartsResult> {
  const { getObjectStore } = await import('#commons/composition-root');
  const objects = getObjectStore();
  const key = `uploads/${randomUUID()}/${randomUUID()}`;
  await objects.putFile({ key, path: sourcePath, contentType: 'video/mp4' });
  const sources = new LoopbackSourceServer(objects);
  const { ffmpeg, ffprobe } = workerBinaries();
  const outDir = await mkdtemp(join(tmpdir(), 'idrl-bench-parts-'));
  const probe = { maxPixels: DEFAULT_SOURCE_LIMITS.maxPixels, threads: availableParallelism() };
  const runs = Object.fromEntries(WORKER_PARTS.map((part) => [part, [] as PartRun[]])) as Record<
    WorkerPart,
    PartRun[]
  >;
  const proxyCpu: number[] = [];
  const sent: Record<keyof WorkerPartsResult['bytesSent'], number[]> = {
    loopbackEdit: [],
    sourceProbe: [],
    sourceProbeUncounted: [],
  };

  /** One tool run reading the source through a fresh loopback server, as the worker's attempt does. */
  async function throughLoopback(
    part: keyof WorkerPartsResult['bytesSent'],
    path: string,
    args: (url: string) => string[],
  ): Promise<PartRun> {
    const source = await sources.serve(key);
    try {
      const nodeBefore = nodeCpuSeconds();
      const measured = await toolCpu(path, args(source.url));
      if (part === 'loopbackEdit') proxyCpu.push(nodeCpuSeconds() - nodeBefore);
      const failure = source.failure();
      if (failure !== undefined) throw failure;
      sent[part].push(source.bytesSent());
      return measured;
    } finally {
      await source.close();
    }
  }

  const run: Record<WorkerPart, () => Promise<PartRun>> = {
    bareEdit: () => toolCpu(ffmpeg, bareEditArgs(sourcePath, outDir, 'bare')),
    sourceProbe: () =>
      throughLoopback('sourceProbe', ffprobe, (input) =>
        buildProbeArgs({
          input,
          protocols: SOURCE_PROTOCOLS,
          ...probe,
          countSeconds: DEFAULT_LEAGUE_FORMAT.maxSourceSeconds,
        }),
      ),
    loopbackEdit: () =>
      throughLoopback('loopbackEdit', ffmpeg, (url) => workerEditArgs(url, outDir, 'loopback')),
    outputProbe: () =>
      toolCpu(
        ffprobe,
        buildProbeArgs({ input: join(outDir, 'loopback.mp4'), protocols: LOCAL_PROTOCOLS, ...probe }),
      ),
    sourceProbeUncounted: () =>
      throughLoopback('sourceProbeUncounted', ffprobe, (input) =>
        buildProbeArgs({ input, protocols: SOURCE_PROTOCOLS, ...probe }),
      ),
  };

  const loadBefore = loadAverage();
  log(`  load average before: ${loadBefore.join(' ')}`);
  try {
    for (let round_ = 1; round_ <= rounds; round_ += 1) {
      for (const part of WORKER_PARTS) runs[part].push(await run[part]());
      log(
        `  round ${round_}/${rounds}: ${WORKER_PARTS.map((part) => `${part} ${runs[part].at(-1)?.cpuSeconds.toFixed(2)}`).join(', ')} CPU-s`,
      );
    }
  } finally {
    await rm(outDir, { recursive: true, force: true });
    await objects.deleteMany([key]);
  }
  const loadAfter = loadAverage();
  log(`  load average after: ${loadAfter.join(' ')}`);

  const cpuOf = (part: WorkerPart, index: number): number => runs[part][index]?.cpuSeconds ?? Number.NaN;
  const perRound = (ratio: (index: number) => number): Summary =>
    summarize(Array.from({ length: rounds }, (_, index) => round(ratio(index), 3)));
  return {
    rounds,
    parts: Object.fromEntries(
      WORKER_PARTS.map((part) => [
        part,
        {
          cpuSeconds: summarize(runs[part].map((r) => round(r.cpuSeconds, 3))),
          systemSeconds: summarize(runs[part].map((r) => round(r.systemSeconds, 3))),
        },
      ]),
    ) as WorkerPartsResult['parts'],
    toolsRatio: perRound(
      (index) =>
        (cpuOf('sourceProbe', index) + cpuOf('loopbackEdit', index) + cpuOf('outputProbe', index)) /
        cpuOf('bareEdit', index),
    ),
    loopbackRatio: perRound((index) => cpuOf('loopbackEdit', index) / cpuOf('bareEdit', index)),
    proxyNodeCpuSeconds: summarize(proxyCpu.map((seconds) => round(seconds, 3))),
    bytesSent: {
      loopbackEdit: summarize(sent.loopbackEdit).median,
      sourceProbe: summarize(sent.sourceProbe).median,
      sourceProbeUncounted: summarize(sent.sourceProbeUncounted).median,
    },
    loadAverage: { before: loadBefore, after: loadAfter },
  };
}
