/**
 * CPU seconds of the ffmpeg/ffprobe process tree and the machine's load: on a busy machine the
 * wall-clock ratio of two runs mostly measures who else was running, while the CPU seconds the
 * children used measure the work they did.
 */
import { execFileSync } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { loadavg } from 'node:os';

/** Clock ticks per second of /proc times (USER_HZ). */
const TICKS_PER_SECOND = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());

/** CPU seconds, user and system, of the children that ended. */
interface ChildCpu {
  user: number;
  system: number;
}

/**
 * User and system CPU seconds of every child of this process that has ended and been reaped (cutime
 * and cstime of /proc/self/stat), its own children included. Node reaps a child before its 'close'
 * event, so the difference around a run is the CPU its ffprobe and ffmpeg used, and nothing the
 * long-running services (PostgreSQL) do while they stay up.
 */
async function endedChildrenCpu(): Promise<ChildCpu> {
  const stat = await readFile('/proc/self/stat', 'utf8');
  // Fields after "pid (comm) ": the command may hold spaces, so count from its closing parenthesis.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // stat(5) numbers fields from 1 and this slice starts at field 3: cutime is 16, cstime is 17.
  return { user: Number(fields[13]) / TICKS_PER_SECOND, system: Number(fields[14]) / TICKS_PER_SECOND };
}

/**
 * Runs `work` and reports the CPU seconds of the children that ended meanwhile: `cpuSeconds` (user +
 * system) and the system part alone (the kernel's share: socket and file reads, page faults).
 */
export async function withChildCpu<T>(
  work: () => Promise<T>,
): Promise<{ cpuSeconds: number; systemSeconds: number; value: T }> {
  const before = await endedChildrenCpu();
  const value = await work();
  const after = await endedChildrenCpu();
  const systemSeconds = after.system - before.system;
  return { cpuSeconds: after.user - before.user + systemSeconds, systemSeconds, value };
}

/** The 1, 5 and 15 minute load averages, rounded to 0.01. */
export function loadAverage(): [number, number, number] {
  const [one = 0, five = 0, fifteen = 0] = loadavg().map((value) => Math.round(value * 100) / 100);
  return [one, five, fifteen];
}
