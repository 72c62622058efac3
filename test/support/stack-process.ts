/**
 * Runs `npm start`'s entry point (infra/local/main.ts) as a child process on free ports with its
 * own state folder: the e2e tests drive the platform exactly as a developer's stack, and can stop
 * and start it again on the same state.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { join, resolve } from 'node:path';
import { freePort } from '#infra/local/services/preflight';
import { cachedSynth, contextFromEnvironment } from '#infra/local/template/synth';

/** MULTIPART_PART_BYTES of the stacks the e2e tests start (`-c multipartPartBytes`). */
export const E2E_PART_BYTES = 256 * 1024;

export interface StackPorts {
  gateway: number;
  postgres: number;
  s3: number;
  s3Iam: number;
  cognito: number;
}

export interface StackProcess {
  ports: StackPorts;
  apiUrl: string;
  consoleUrl: string;
  /** The S3 endpoint the platform hands out (presigned URLs): the IAM-enforcing proxy. */
  s3Endpoint: string;
  /** s3rver itself, for a test that inspects the bucket with s3rver's own key. */
  s3rverEndpoint: string;
  logFile: string;
  /** What `npm start` printed on stdout up to its ready line (the banner with the walkthrough). */
  banner: string;
  /** SIGTERM, then the exit code once everything has stopped. */
  stop(): Promise<number | null>;
  /** Ctrl-C in a terminal: SIGINT to the whole process group; then the exit code. */
  interrupt(): Promise<number | null>;
}

const REPO_ROOT = resolve(import.meta.dirname, '../..');
const READY_MARK = 'Ctrl-C stops everything.';
const START_TIMEOUT_MS = 90_000;
const STOP_TIMEOUT_MS = 60_000;

/** Ports only for the synth's context, which no port is part of. */
const PLACEHOLDER_PORTS: StackPorts = { gateway: 0, postgres: 0, s3: 0, s3Iam: 0, cognito: 0 };

export async function freeStackPorts(): Promise<StackPorts> {
  return {
    gateway: await freePort(),
    postgres: await freePort(),
    s3: await freePort(),
    s3Iam: await freePort(),
    cognito: await freePort(),
  };
}

function exited(child: ChildProcess): Promise<number | null> {
  return new Promise((done) => {
    if (child.exitCode !== null || child.signalCode !== null) done(child.exitCode);
    else
      child.once('exit', (code) => {
        done(code);
      });
  });
}

/** `npm start`'s environment for a stack on these ports and state folder (`settings` override). */
function stackEnvironment(
  stateDir: string,
  ports: StackPorts,
  settings: Record<string, string>,
): NodeJS.ProcessEnv {
  // The embedded PostgreSQL, never a DATABASE_URL the developer may have set for `npm start`.
  const env = { ...process.env };
  delete env.DATABASE_URL;
  return {
    ...env,
    PORT: String(ports.gateway),
    PG_PORT: String(ports.postgres),
    S3_PORT: String(ports.s3),
    S3_IAM_PORT: String(ports.s3Iam),
    COGNITO_PORT: String(ports.cognito),
    LOCAL_STATE_DIR: stateDir,
    // Small parts so browser tests cut a few-MB video into many (S3's 5 MiB minimum: docs/local-stack.md).
    LOCAL_CDK_CONTEXT: `multipartPartBytes=${E2E_PART_BYTES}`,
    // Every test client is 127.0.0.1: the suite's signups and votes would pass the per-client limits, which
    // test/integration/local/per-client-limits.test.ts proves at the gateway with clients of their own.
    LOCAL_PER_CLIENT_LIMITS: 'off',
    ...settings,
  };
}

/**
 * The template of a stack with these settings, in the shared synth cache: `npm test` makes the e2e stack's while it
 * type-checks and lints (test/support/pretest.ts), so the e2e setup finds it there.
 */
export async function synthesizeStack(settings: Record<string, string> = {}): Promise<void> {
  await cachedSynth({ context: contextFromEnvironment(stackEnvironment('', PLACEHOLDER_PORTS, settings)) });
}

/** `settings`: more of `npm start`'s environment (infra/local/main.ts), e.g. WORKER_TIMEOUT_SECONDS. */
export async function startStackProcess(
  stateDir: string,
  ports: StackPorts,
  settings: Record<string, string> = {},
): Promise<StackProcess> {
  const logFile = join(stateDir, `stack-${Date.now()}.log`);
  const log = createWriteStream(logFile);
  const stackEnv = stackEnvironment(stateDir, ports, settings);
  // The template first, outside the start's time limit: a configuration's first synth takes minutes; every
  // later start (and every e2e run after it) reads it from the shared cache.
  await cachedSynth({ context: contextFromEnvironment(stackEnv) });
  const child = spawn(process.execPath, ['--import', 'tsx', 'infra/local/main.ts'], {
    cwd: REPO_ROOT,
    env: stackEnv,
    stdio: ['ignore', 'pipe', 'pipe'],
    // A process group of its own, as a terminal gives `npm start`, so interrupt() can signal all of it.
    detached: true,
  });
  child.stderr.pipe(log, { end: false });

  let output = '';
  await new Promise<void>((ready, fail) => {
    const timer = setTimeout(() => {
      child.kill('SIGTERM');
      fail(new Error(`The local stack did not start within ${START_TIMEOUT_MS / 1000} s; see ${logFile}`));
    }, START_TIMEOUT_MS);
    child.stdout.on('data', (chunk: Buffer) => {
      log.write(chunk);
      output += chunk.toString();
      if (output.includes(READY_MARK)) {
        clearTimeout(timer);
        ready();
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      fail(new Error(`The local stack exited with code ${String(code)} while starting; see ${logFile}`));
    });
  });

  const stopWith = async (signal: () => void): Promise<number | null> => {
    const exit = exited(child);
    signal();
    const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
    const code = await exit;
    clearTimeout(timer);
    log.end();
    return code;
  };
  const gateway = `http://localhost:${ports.gateway}`;
  return {
    ports,
    apiUrl: `${gateway}/api`,
    consoleUrl: `${gateway}/`,
    s3Endpoint: `http://127.0.0.1:${ports.s3Iam}`,
    s3rverEndpoint: `http://127.0.0.1:${ports.s3}`,
    logFile,
    banner: output,
    stop: () => stopWith(() => child.kill('SIGTERM')),
    interrupt: () =>
      stopWith(() => {
        if (child.pid !== undefined) process.kill(-child.pid, 'SIGINT');
      }),
  };
}
