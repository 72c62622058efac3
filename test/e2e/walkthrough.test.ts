import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';

const { banner } = inject('stack');
let directory: string;

beforeAll(async () => {
  directory = await mkdtemp(join(tmpdir(), 'idrl-walkthrough-'));
});

afterAll(async () => {
  await rm(directory, { recursive: true, force: true });
});

/** The walkthrough's lines exactly as `npm start` printed them: under "Try it (bash)…", up to the blank line. */
function printedSteps(): string[] {
  const lines = banner.split('\n');
  const heading = lines.findIndex((line) => line.startsWith('Try it (bash)'));
  expect(heading).toBeGreaterThan(-1);
  const end = lines.indexOf('', heading);
  return lines.slice(heading + 1, end).map((line) => line.replace(/^ {2}/, ''));
}

/**
 * A paste into a terminal is the shell reading the lines from its stdin while earlier commands run, so
 * the script goes to a non-interactive bash on stdin: a command that reads stdin would eat the lines after it.
 */
function pasteIntoBash(script: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((done, fail) => {
    const shell = spawn('bash', [], {
      cwd: directory,
      env: { PATH: `${dirname(process.execPath)}:${process.env.PATH ?? ''}`, HOME: directory },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    shell.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    shell.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    shell.once('error', fail);
    shell.once('close', (code) => {
      done({ code, stdout, stderr });
    });
    shell.stdin.end(script);
  });
}

/** Polled statuses until the edit is done, then the delete's 204. */
const UPLOAD_TO_DELETE = String.raw`204\n(?:(?:awaiting_upload|uploaded|processing)\n)*processed\n204\n$`;

describe('the curl walkthrough npm start prints', () => {
  it('works pasted in one go, twice in a row, with one answer per line', async () => {
    // Prepare
    const script = `${printedSteps().join('\n')}\n`;

    // Act
    const first = await pasteIntoBash(script);
    const second = await pasteIntoBash(script);

    // Assess: the first paste signs pilot1 up, the second is told the name is taken; both upload, wait for
    // the edit and delete it. Nothing on stderr: no prompt, no ffmpeg complaint, no shell error.
    expect(first).toEqual({
      code: 0,
      stdout: expect.stringMatching(
        new RegExp(`^\\{"username":"pilot1","email":"pilot1@example.com"\\}\\n${UPLOAD_TO_DELETE}`),
      ) as unknown,
      stderr: '',
    });
    expect(second).toEqual({
      code: 0,
      stdout: expect.stringMatching(
        new RegExp(
          `^\\{"message":"Username is already taken","errors":\\[\\{"field":"username","message":"Username is already taken"\\}\\]\\}\\n${UPLOAD_TO_DELETE}`,
        ),
      ) as unknown,
      stderr: '',
    });
  });
});
