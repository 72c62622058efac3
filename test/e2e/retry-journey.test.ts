/**
 * Retry and recovery through the whole local stack (`npm start`): the retry route and the scheduled sweeper run
 * outside the VPC as on AWS, invoke their halves inside it through the gateway's Lambda API, send the upload with
 * SQS SendMessage to the gateway's SQS surface, and the queue feeds the worker, which edits the video again. The
 * faults they recover from are injected in the database (as a worker's last failed attempt, or an outage that
 * kept the worker from recording an upload, leaves a task), since nothing over HTTP can provoke them.
 */
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { CreatedTaskResponse, TaskResponse } from '#core/schemas';
import { callApi, generateVideo, pollUntil, postUpload, signUpAndLogIn } from '#test/support/http-client';

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
  return signUpAndLogIn(api, `retry_${randomUUID().slice(0, 8)}`, 'Secret123');
}

/** A video uploaded by a new pilot and processed by the stack. */
async function processedUpload(name: string): Promise<{ token: string; id: number; path: string }> {
  const token = await pilotToken();
  const video = join(workDir, name);
  await generateVideo(stack.mediaFfmpegPath, video, { seconds: 2, width: 320, height: 240 });
  const created = await callApi<CreatedTaskResponse>(api, 'POST', '/tasks', {
    token,
    body: { fileName: name, contentType: 'video/mp4', size: (await stat(video)).size },
  });
  expect((await postUpload(created.body.upload, video, 'video/mp4')).status).toBe(204);
  const path = `/tasks/${created.body.id}`;
  expect((await settled(token, path)).status).toBe('processed');
  return { token, id: created.body.id, path };
}

/** The task once the pipeline is done with it. */
async function settled(token: string, path: string): Promise<TaskResponse> {
  const response = await pollUntil(
    () => callApi<TaskResponse>(api, 'GET', path, { token }),
    (answer) => answer.body.status === 'processed' || answer.body.status === 'failed',
    150_000,
  );
  return response.body;
}

describe('retrying a task the platform failed, on the local stack', () => {
  it('queues it again and the worker edits it: processed, with one manual retry counted', async () => {
    // Prepare: a processed upload, then failed as a final attempt that died would leave it.
    const { token, id, path } = await processedUpload('heat.mp4');
    await database.query(
      `UPDATE tasks SET status = 'failed', failure_reason = 'Processing failed after 3 attempts',
         failure_kind = 'transient', failed_at = now(), processed_key = NULL, thumbnail_key = NULL,
         processed_at = NULL, updated_at = now()
       WHERE id = $1`,
      [id],
    );
    const failed = await callApi<TaskResponse>(api, 'GET', path, { token });

    // Act
    const retried = await callApi<TaskResponse>(api, 'POST', `${path}/retry`, { token });
    const done = await settled(token, path);

    // Assess
    expect(failed.body).toMatchObject({ status: 'failed', retryable: true });
    expect(retried).toMatchObject({ status: 202, body: { id, status: 'uploaded' } });
    expect(done).toMatchObject({
      status: 'processed',
      processed: { width: 1280, height: 720 },
      thumbnail: { url: expect.any(String) as string },
    });
    const { rows } = await database.query<{ manual_retries: number }>(
      'SELECT manual_retries FROM tasks WHERE id = $1',
      [id],
    );
    expect(rows).toEqual([{ manual_retries: 1 }]);
  });
});

describe('recovering an upload the worker never recorded, on the local stack', () => {
  it('is queued again by the scheduled sweeper and processed', async () => {
    // Prepare: as an outage leaves it: the upload in the bucket, its task still awaiting it (its notification
    // dead-lettered), and older than the sweeper's wait (every delivery of that notification is over).
    const { token, id, path } = await processedUpload('outage.mp4');
    await database.query(
      `UPDATE tasks SET status = 'awaiting_upload', uploaded_at = NULL, processing_started_at = NULL,
         processed_key = NULL, thumbnail_key = NULL, processed_at = NULL,
         created_at = created_at - interval '1 day', updated_at = now()
       WHERE id = $1`,
      [id],
    );
    const waiting = await callApi<TaskResponse>(api, 'GET', path, { token });

    // Act: the stack's own schedule (every minute here) runs the sweeper.
    const recovered = await settled(token, path);

    // Assess
    expect(waiting.body.status).toBe('awaiting_upload');
    expect(recovered).toMatchObject({ status: 'processed', processed: { width: 1280, height: 720 } });
    const { rows } = await database.query<{ requeued: boolean; uploaded: boolean }>(
      'SELECT requeued_at IS NOT NULL AS requeued, uploaded_at IS NOT NULL AS uploaded FROM tasks WHERE id = $1',
      [id],
    );
    expect(rows).toEqual([{ requeued: true, uploaded: true }]);
  });
});
