/**
 * The one way the first-use setup and the ffmpeg build run OS commands: a port, so their decisions are
 * unit-tested with a scripted runner and never with the machine's own apt.
 */
import { spawnSync } from 'node:child_process';

export interface CommandResult {
  /** The exit code; null when the command could not be started (not installed) or was killed. */
  status: number | null;
  /** What it printed on stdout ('' when streamed). */
  stdout: string;
}

/**
 * `capture` keeps stdout and drops stderr (a question to the system); `stream` shows both on this
 * process's stderr (progress of a long step), so an apt run never lands in `npm start`'s banner on stdout.
 */
export type CommandRunner = (
  command: string,
  args: readonly string[],
  mode?: 'capture' | 'stream',
) => CommandResult;

export const runCommand: CommandRunner = (command, args, mode = 'capture') => {
  const result = spawnSync(command, args, {
    // Nothing here may wait for a prompt: sudo runs with -n and apt non-interactively.
    stdio: mode === 'capture' ? ['ignore', 'pipe', 'ignore'] : ['ignore', 2, 2],
    encoding: 'utf8',
  });
  // With stdio streamed there is no stdout to return (null at run time, whatever the type says).
  return { status: result.error ? null : result.status, stdout: mode === 'capture' ? result.stdout : '' };
};
