/**
 * Runs ffmpeg/ffprobe as a child process with a hard deadline. The deadline is what keeps the worker
 * inside its Lambda timeout: the child is SIGKILLed in time for the handler to record the failure.
 */
import { spawn } from 'node:child_process';

export interface ToolResult {
  exitCode: number | null;
  stdout: string;
  /** The last MAX_STDERR_CHARS characters: ffmpeg's verdict is at the end of its log. */
  stderr: string;
  timedOut: boolean;
}

const MAX_STDERR_CHARS = 256 * 1024;

/** Resolves with whatever the tool did, non-zero exits included; rejects only if it cannot start. */
export function runTool(path: string, args: readonly string[], deadline: Date): Promise<ToolResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(path, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    const stdout: Buffer[] = [];
    let stderr = '';
    let timedOut = false;
    const timer = setTimeout(
      () => {
        timedOut = true;
        child.kill('SIGKILL');
      },
      Math.max(0, deadline.getTime() - Date.now()),
    );
    child.stdout.on('data', (chunk: Buffer) => stdout.push(chunk));
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (chunk: string) => {
      stderr = (stderr + chunk).slice(-MAX_STDERR_CHARS);
    });
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on('close', (exitCode) => {
      clearTimeout(timer);
      resolve({ exitCode, stdout: Buffer.concat(stdout).toString('utf8'), stderr, timedOut });
    });
  });
}
