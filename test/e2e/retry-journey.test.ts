/**
 * A retry through the whole local stack (`npm start`): the route outside the VPC invokes its transition through
 * the gateway's Lambda API, sends the upload with SQS SendMessage to the gateway's SQS surface, and the queue
 * feeds the worker, which edits the video again. The platform failure it recovers from is injected in the
 * database (as the worker's last failed attempt leaves a task), since nothing over HTTP can provoke one.
 */
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { CreatedTaskResponse, TaskResponse, TokenResponse } from '#core/schemas';
import { callApi, generateVideo, pollUntil, postUpload } from '#test/support/http-client';

const stack = inject('stack');
const api = stack.api;
let workDir: string;
let database: pg.Pool;

beforeAll(async () => {
  workDir = await mkdtemp(join(tmpdir(), 'idrl-retry-'));
  const url = /^ {2}PostgreSQL +(\S+)$/m.exec(stack.banner)?.[1];
  if (url === undefined) throw new Error('npm start printed no PostgreSQL URL');
  database = new pg.Pool({ connectionString: url, max: 1 });
});

afterAll(async () => {
  await database.end();
  await rm(workDir, { recursive: true, force: true });
});

async function pilotToken(): Promise<string> {
  const username = `retry_${randomUUID().slice(0, 8)}`;
  const password = 'Secret123';
  const body = { username, email: `${username}@example.com`, password1: password, password2: password };
  expect((await callApi(api, 'POST', '/auth/signup', { body })).status).toBe(201);
  const login = await callApi<TokenResponse>(api, 'POST', '/auth/login', { body: { username, password } });
  return login.body.access_token;
}

describe('retrying a task the platform failed, on the local stack', () => {
  it('queues it again and the worker edits it: processed, with one manual retry counted', async () => {
    // Prepare: a processed upload, then failed as a final attempt that died would leave it.
    const token = await pilotToken();
    const video = join(workDir, 'heat.mp4');
    await generateVideo(stack.mediaFfmpegPath, video, { seconds: 2, width: 320, height: 240 });
    const created = await callApi<CreatedTaskResponse>(api, 'POST', '/tasks', {
      token,
      body: { fileName: 'heat.mp4', contentType: 'video/mp4', size: (await stat(video)).size },
    });
    expect((await postUpload(created.body.upload, video, 'video/mp4')).status).toBe(204);
    const path = `/tasks/${created.body.id}`;
    const first = await pollUntil(
      () => callApi<TaskResponse>(api, 'GET', path, { token }),
      (response) => response.body.status === 'processed' || response.body.status === 'failed',
      150_000,
    );
    expect(first.body.status).toBe('processed');
    await database.query(
      `UPDATE tasks SET status = 'failed', failure_reason = 'Processing failed after 3 attempts',
         failure_kind = 'transient', failed_at = now(), processed_key = NULL, thumbnail_key = NULL,
         processed_at = NULL, updated_at = now()
       WHERE id = $1`,
      [created.body.id],
    );
    const failed = await callApi<TaskResponse>(api, 'GET', path, { token });

    // Act
    const retried = await callApi<TaskResponse>(api, 'POST', `${path}/retry`, { token });
    const done = await pollUntil(
      () => callApi<TaskResponse>(api, 'GET', path, { token }),
      (response) => response.body.status === 'processed' || response.body.status === 'failed',
      150_000,
    );

    // Assess
    expect(failed.body).toMatchObject({ status: 'failed', retryable: true });
    expect(retried).toMatchObject({ status: 202, body: { id: created.body.id, status: 'uploaded' } });
    expect(done.body).toMatchObject({
      status: 'processed',
      processed: { width: 1280, height: 720 },
      thumbnail: { url: expect.any(String) as string },
    });
    const { rows } = await database.query<{ manual_retries: number }>(
      'SELECT manual_retries FROM tasks WHERE id = $1',
      [created.body.id],
    );
    expect(rows).toEqual([{ manual_retries: 1 }]);
  });
});
