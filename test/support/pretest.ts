/**
 * What `npm test` does before vitest, all at once: the type-check, the format check, the lint, and the e2e stack's
 * synth into the shared cache (test/support/e2e-setup.ts then finds it there). One after the other they took
 * 64 s plus the synth's ~50 s on the 2-core CI machine, each leaving a core idle most of the time. Each command's
 * output is printed whole when it ends, so two never interleave; the exit code is 1 if any of them failed.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fromRoot } from '#infra/paths';
import { E2E_STACK_SETTINGS } from './e2e-setup';
import { synthesizeStack } from './stack-process';

interface Outcome {
  name: string;
  ok: boolean;
  output: string;
}

function run(name: string, bin: string, args: string[]): Promise<Outcome> {
  return new Promise((done) => {
    const child = spawn(path.join(fromRoot('node_modules/.bin'), bin), args, { cwd: fromRoot() });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.on('error', (error) => {
      done({ name, ok: false, output: `${output}${error.message}\n` });
    });
    child.on('close', (code) => {
      done({ name, ok: code === 0, output });
    });
  });
}

async function synth(): Promise<Outcome> {
  try {
    await synthesizeStack(E2E_STACK_SETTINGS);
    return { name: "the e2e stack's synth", ok: true, output: '' };
  } catch (error) {
    return { name: "the e2e stack's synth", ok: false, output: `${String(error)}\n` };
  }
}

const outcomes = await Promise.all(
  [
    run('tsc --noEmit', 'tsc', ['--noEmit']),
    run('prettier --check .', 'prettier', ['--check', '.']),
    run('eslint .', 'eslint', ['.']),
    synth(),
  ].map(async (pending) => {
    const outcome = await pending;
    process.stdout.write(`\n${outcome.ok ? '✓' : '✗'} ${outcome.name}\n${outcome.output}`);
    return outcome;
  }),
);
const failed = outcomes.filter((outcome) => !outcome.ok).map((outcome) => outcome.name);
if (failed.length > 0) {
  process.stderr.write(`\nFailed: ${failed.join(', ')}\n`);
  process.exitCode = 1;
}
