/**
 * Peak resident memory of this process's ffmpeg/ffprobe children. Node cannot wait4() a child for
 * its rusage, so the kernel's high-water mark (VmHWM) is sampled while the child runs; the mark only
 * grows, so a sample shortly before exit is the peak up to that moment.
 */
import { readFile } from 'node:fs/promises';

const SAMPLE_INTERVAL_MS = 50;

async function childPids(pid: number): Promise<number[]> {
  const text = await readFile(`/proc/${pid}/task/${pid}/children`, 'utf8').catch(() => '');
  return text
    .trim()
    .split(/\s+/)
    .filter((part) => part !== '')
    .map(Number);
}

async function highWaterMarkKb(pid: number): Promise<{ command: string; kb: number } | null> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8').catch(() => null);
  if (status === null) return null;
  const command = /^Name:\s+(\S+)/m.exec(status)?.[1] ?? '';
  const kb = Number(/^VmHWM:\s+(\d+) kB/m.exec(status)?.[1] ?? 0);
  return { command, kb };
}

export interface PeakSampler {
  /** Stops sampling; the largest VmHWM seen of a child whose command matches, in MiB. */
  stop(): Promise<number>;
}

export function samplePeakChildMemory(commandPattern: RegExp): PeakSampler {
  let peakKb = 0;
  // Written by stop(); a plain `let` would be narrowed to `true` inside the loop by the type checker.
  const state = { running: true };
  const loop = (async () => {
    while (state.running) {
      for (const pid of await childPids(process.pid)) {
        const mark = await highWaterMarkKb(pid);
        if (mark !== null && commandPattern.test(mark.command)) peakKb = Math.max(peakKb, mark.kb);
      }
      await new Promise((done) => setTimeout(done, SAMPLE_INTERVAL_MS));
    }
  })();
  return {
    async stop() {
      state.running = false;
      await loop;
      return peakKb / 1024;
    },
  };
}
