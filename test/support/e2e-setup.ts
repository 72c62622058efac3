/**
 * Global setup of the vitest `e2e` project: the whole local stack (`npm start`'s entry point) in
 * a child process, on free ports and a temporary state folder. Tests get its URLs through
 * `inject('stack')` and talk to it over HTTP only.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { ffmpegBinaries } from '#infra/local/services/backing';
import { freeStackPorts, startStackProcess } from './stack-process';

export interface ProvidedStack {
  /** `http://localhost:<port>/api` */
  api: string;
  /** `http://localhost:<port>/` */
  console: string;
  s3Endpoint: string;
  logFile: string;
  /** For tests that generate and inspect videos. */
  ffmpegPath: string;
  ffprobePath: string;
}

declare module 'vitest' {
  export interface ProvidedContext {
    stack: ProvidedStack;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const stateDir = await mkdtemp(join(tmpdir(), 'idrl-e2e-'));
  const stack = await startStackProcess(stateDir, await freeStackPorts());
  const { ffmpeg, ffprobe } = ffmpegBinaries();
  project.provide('stack', {
    api: stack.apiUrl,
    console: stack.consoleUrl,
    s3Endpoint: stack.s3Endpoint,
    logFile: stack.logFile,
    ffmpegPath: ffmpeg,
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
