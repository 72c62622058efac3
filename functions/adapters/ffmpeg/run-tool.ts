/**
 * Runs ffmpeg/ffprobe as a child process with a hard deadline, no authority and bounded output.
 * The deadline is what keeps the worker inside its Lambda timeout: the child is SIGKILLed in time
 * for the handler to record the failure.
 */
import { spawn } from 'node:child_process';

export interface ToolResult {
  exitCode: number | null;
  /** The signal that ended the child (ours on a deadline or an output overflow, else the kernel's). */
  signal: NodeJS.Signals | null;
  stdout: string;
  /** The last MAX_STDERR_CHARS characters: ffmpeg's verdict is at the end of its log. */
  stderr: string;
  timedOut: boolean;
  /** stdout passed MAX_STDOUT_BYTES and the child was killed: only ffprobe writes there, never this much. */
  stdoutOverflow: boolean;
}

const MAX_STDERR_CHARS = 256 * 1024;
const MAX_STDOUT_BYTES = 1024 * 1024;

/** Resolves with whatever the tool did, non-zero exits included; rejects only if it cannot start. */
export function runTool(path: string, args: readonly string[], deadline: Date): Promise<ToolResult> {
  return new Promise((resolve, reject) => {
    // An empty environment: the worker's holds AWS credentials and the database settings, ffmpeg needs
    // none of it, and some variables would change what it does (http_proxy, FFREPORT, AV_LOG_FORCE_*).
    // A process group of its own: a terminal's Ctrl-C to `npm start` reaches the whole foreground group,
    // and must not kill an edit the stopping stack lets finish (the deadline below still ends it). Should
    // the worker die instead, the edit's input, read from the worker's loopback server, ends with it.
    const child = spawn(path, args, { stdio: ['ignore', 'pipe', 'pipe'], env: {}, detached: true });
    const stdout: Buffer[] = [];
    let stdoutBytes = 0;
    let stderr = '';
    let timedOut = false;
    let stdoutOverflow = false;
    const timer = setTimeout(
      () => {
        timedOut = true;
        child.kill('SIGKILL');
      },
      Math.max(0, deadline.getTime() - Date.now()),
    );
    child.stdout.on('data', (chunk: Buffer) => {
      stdoutBytes += chunk.length;
      if (stdoutBytes > MAX_STDOUT_BYTES) {
        stdoutOverflow = true;
        child.kill('SIGKILL');
        return;
      }
      stdout.push(chunk);
    });
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (chunk: string) => {
      stderr = (stderr + chunk).slice(-MAX_STDERR_CHARS);
    });
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on('close', (exitCode, signal) => {
      clearTimeout(timer);
      resolve({
        exitCode,
        signal,
        stdout: Buffer.concat(stdout).toString('utf8'),
        stderr,
        timedOut,
        stdoutOverflow,
      });
    });
  });
}
