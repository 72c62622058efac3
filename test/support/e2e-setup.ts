/**
 * Global setup of the vitest `e2e` project: the whole local stack (`npm start`'s entry point) in
 * a child process, on free ports and a temporary state folder. Tests get its URLs through
 * `inject('stack')` and talk to it over HTTP only.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { MEDIA_FFMPEG_PATH, workerBinaries } from './media-tools';
import { freeStackPorts, startStackProcess } from './stack-process';

/** The e2e stack's settings: the sweeper every minute (the schedule's finest step), so a test can see a recovery. */
export const E2E_STACK_SETTINGS = { LOCAL_SWEEP_CRON: '* * * * *' };

export interface ProvidedStack {
  /** `http://localhost:<port>/api` */
  api: string;
  /** `http://localhost:<port>/` */
  console: string;
  /** The S3 endpoint of presigned URLs (the IAM-enforcing proxy). */
  s3Endpoint: string;
  /** s3rver itself, with its own key (S3RVER_CREDENTIALS), for inspecting the bucket. */
  s3rverEndpoint: string;
  logFile: string;
  /** The banner `npm start` printed. */
  banner: string;
  /** Generates test videos (test/support/media-tools.ts). */
  mediaFfmpegPath: string;
  /** The worker's own ffprobe, to inspect what it produced. */
  ffprobePath: string;
}

declare module 'vitest' {
  export interface ProvidedContext {
    stack: ProvidedStack;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  // Before the stack starts: on a new machine the first build takes minutes, longer than a start may.
  const { ffprobe } = workerBinaries();
  const stateDir = await mkdtemp(join(tmpdir(), 'idrl-e2e-'));
  const stack = await startStackProcess(stateDir, await freeStackPorts(), E2E_STACK_SETTINGS);
  project.provide('stack', {
    api: stack.apiUrl,
    console: stack.consoleUrl,
    s3Endpoint: stack.s3Endpoint,
    s3rverEndpoint: stack.s3rverEndpoint,
    logFile: stack.logFile,
    banner: stack.banner,
    mediaFfmpegPath: MEDIA_FFMPEG_PATH,
    ffprobePath: ffprobe,
  });
  return async function teardown() {
    const code = await stack.stop();
    if (code !== 0)
      throw new Error(
        `The local stack exited with code ${String(code)}; its log is kept at ${stack.logFile}`,
      );
    await rm(stateDir, { recursive: true, force: true });
  };
}
