import { randomUUID } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { CreatedTaskResponse, TaskResponse } from '#core/schemas';
import { LOCAL_BUCKET, LOCAL_REGION } from '#infra/local/services/backing';
import { startS3 } from '#infra/local/services/s3';
import { callApi, generateVideo, pollUntil, postUpload, signUpAndLogIn } from '#test/support/http-client';
import { type StackProcess, freeStackPorts, startStackProcess } from '#test/support/stack-process';

const { mediaFfmpegPath } = inject('stack');
let stateDir: string;
let running: StackProcess | undefined;

beforeAll(async () => {
  stateDir = await mkdtemp(join(tmpdir(), 'idrl-restart-'));
});

afterAll(async () => {
  await running?.stop();
  await rm(stateDir, { recursive: true, force: true });
});

describe('the local stack across a restart', () => {
  it('processes an upload that storage accepted while the queue was not running', async () => {
    // Prepare: a pilot and a task on a stack of its own, then stop that stack
    const ports = await freeStackPorts();
    running = await startStackProcess(stateDir, ports);
    const api = running.apiUrl;
    const username = `pilot_${randomUUID().slice(0, 8)}`;
    const token = await signUpAndLogIn(api, username, 'Secret123');
    const video = join(stateDir, 'race.mp4');
    await generateVideo(mediaFfmpegPath, video, { seconds: 2, width: 320, height: 240 });
    const created = await callApi<CreatedTaskResponse>(api, 'POST', '/tasks', {
      token,
      body: { fileName: 'race.mp4', contentType: 'video/mp4', size: (await stat(video)).size },
    });
    expect(await running.stop()).toBe(0);
    running = undefined;

    // Act: storage alone accepts the upload (as if the stack died right after storing it) ...
    const storageOnly = await startS3({
      port: ports.s3,
      stateDir,
      bucket: LOCAL_BUCKET,
      region: LOCAL_REGION,
      corsOrigins: [],
      notificationPrefixes: ['uploads/'],
      onObjectCreated: () => Promise.resolve(),
    });
    // Storage alone: s3rver without the IAM proxy in front (which the stack runs), at its own port.
    const storageUrl = new URL(created.body.upload.url);
    storageUrl.port = String(ports.s3);
    const upload = await postUpload({ ...created.body.upload, url: storageUrl.href }, video, 'video/mp4');
    await storageOnly.stop();
    // ... and the stack starts again on the same state
    running = await startStackProcess(stateDir, ports);
    const task = await pollUntil(
      () => callApi<TaskResponse>(running?.apiUrl ?? api, 'GET', `/tasks/${created.body.id}`, { token }),
      (response) => response.body.status === 'processed' || response.body.status === 'failed',
      120_000,
    );

    // Assess: queued by the start-up reconciliation, then processed
    expect(upload.status).toBe(204);
    expect(await readFile(running.logFile, 'utf8')).toContain(
      'Queued 1 stored upload(s) that had not reached the queue.',
    );
    expect([task.status, task.body.status, task.body.processed?.width, task.body.processed?.height]).toEqual([
      200,
      'processed',
      1280,
      720,
    ]);
  });
  it('stops on Ctrl-C without an error, letting the video being processed finish first', async () => {
    // Prepare: a stack of its own (on its own state), and an upload it has started processing
    await running?.stop();
    const ownState = join(stateDir, 'interrupted');
    await mkdir(ownState);
    const ports = await freeStackPorts();
    const stack = await startStackProcess(ownState, ports);
    running = stack;
    const username = `pilot_${randomUUID().slice(0, 8)}`;
    const token = await signUpAndLogIn(stack.apiUrl, username, 'Secret123');
    const video = join(stateDir, 'interrupted.mp4');
    await generateVideo(mediaFfmpegPath, video, { seconds: 4, width: 640, height: 360 });
    const created = await callApi<CreatedTaskResponse>(stack.apiUrl, 'POST', '/tasks', {
      token,
      body: { fileName: 'interrupted.mp4', contentType: 'video/mp4', size: (await stat(video)).size },
    });
    expect((await postUpload(created.body.upload, video, 'video/mp4')).status).toBe(204);
    await pollUntil(
      () => callApi<TaskResponse>(stack.apiUrl, 'GET', `/tasks/${created.body.id}`, { token }),
      (response) => response.body.status !== 'awaiting_upload' && response.body.status !== 'uploaded',
      120_000,
    );

    // Act: Ctrl-C, as a terminal sends it: SIGINT to every process of the group, PostgreSQL's included
    const code = await stack.interrupt();
    running = undefined;
    const log = await readFile(stack.logFile, 'utf8');
    running = await startStackProcess(ownState, ports);
    const after = await callApi<TaskResponse>(running.apiUrl, 'GET', `/tasks/${created.body.id}`, { token });

    // Assess: a clean exit, no error or stack trace on the way out, and the edit finished before it
    // The functions' metrics (CloudWatch EMF lines) and INFO logs, each prefixed with the function's name, may come
    // before or after the signal; their warnings and errors may not.
    const stopping = log
      .slice(log.indexOf('[local] SIGINT: stopping'))
      .split('\n')
      .filter((line) => line.trim() !== '' && !/^\[\w+\] \{"(?:_aws|level":"INFO)"/.test(line));
    expect([code, stopping]).toEqual([
      0,
      [
        '[local] SIGINT: stopping (a video being processed gets time to finish; Ctrl-C again to force)...',
        '[local] stopped.',
      ],
    ]);
    expect([after.status, after.body.status]).toEqual([200, 'processed']);
  });
});
