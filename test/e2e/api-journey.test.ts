import { randomUUID } from 'node:crypto';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { traceIdOf } from '#commons/tracing';
import type { CreatedTaskResponse, TaskListResponse, TaskResponse, TokenResponse } from '#core/schemas';
import {
  callApi,
  generateVideo,
  pollUntil,
  postUpload,
  probeVideo,
  signUp,
  storedObjectStatus,
} from '#test/support/http-client';

const stack = inject('stack');

/** The structured lines of the stack's log (`[function] {json}`) about one task, in order. */
function taskLines(log: string, taskId: number): Record<string, unknown>[] {
  return log.split('\n').flatMap((line) => {
    const match = /^\[(\w+)\] (\{.*\})$/.exec(line);
    if (match === null) return [];
    let parsed: Record<string, unknown>;
    try {
      parsed = JSON.parse(match[2] ?? '{}') as Record<string, unknown>;
    } catch {
      return []; // a function's own unstructured output that happens to start with a brace
    }
    return parsed.taskId === taskId ? [{ fn: match[1], ...parsed }] : [];
  });
}
const api = stack.api;
const SOURCE_SECONDS = 4;
const LOGO_SECONDS = 2;

let workDir: string;
let sourceVideo: string;

beforeAll(async () => {
  workDir = await mkdtemp(join(tmpdir(), 'idrl-journey-'));
  sourceVideo = join(workDir, 'race.mp4');
  await generateVideo(stack.mediaFfmpegPath, sourceVideo, {
    seconds: SOURCE_SECONDS,
    width: 640,
    height: 480,
  });
});

afterAll(async () => {
  await rm(workDir, { recursive: true, force: true });
});

describe('a pilot’s journey through the API of the local stack', () => {
  it('signs up, logs in, uploads a video, gets the league edit, downloads it and deletes everything', async () => {
    // Prepare: a new pilot
    const username = `pilot_${randomUUID().slice(0, 8)}`;
    const password = 'Secret123';
    const signup = await signUp(api, username, password);
    expect(signup).toEqual({ status: 201, body: { username, email: `${username}@example.com` } });
    const login = await callApi<TokenResponse>(api, 'POST', '/auth/login', { body: { username, password } });
    expect(login).toEqual({
      status: 200,
      body: {
        access_token: expect.any(String) as string,
        refresh_token: expect.any(String) as string,
        token_type: 'Bearer',
        expires_in: expect.any(Number) as number,
      },
    });
    const token = login.body.access_token;

    // Act: create the task and upload straight to storage with the presigned POST
    const size = (await stat(sourceVideo)).size;
    const created = await callApi<CreatedTaskResponse>(api, 'POST', '/tasks', {
      token,
      body: { fileName: 'race.mp4', contentType: 'video/mp4', size },
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      fileName: 'race.mp4',
      status: 'awaiting_upload',
      upload: { maxBytes: size },
    });
    // The upload carries the trace of the request that created the task, pinned by the POST policy.
    const traceId = traceIdOf(created.body.upload.fields['x-amz-meta-trace-id']);
    expect(traceId).toMatch(/^1-[0-9a-f]{8}-[0-9a-f]{24}$/);
    const upload = await postUpload(created.body.upload, sourceVideo, 'video/mp4');
    expect(upload.status).toBe(204);
    const taskPath = `/tasks/${created.body.id}`;
    const task = await pollUntil(
      () => callApi<TaskResponse>(api, 'GET', taskPath, { token }),
      (response) => response.body.status === 'processed' || response.body.status === 'failed',
      150_000,
    );

    // Assess: the task, the edited video and its thumbnail
    expect(task.status).toBe(200);
    expect(task.body).toEqual({
      id: created.body.id,
      fileName: 'race.mp4',
      title: 'race',
      status: 'processed',
      createdAt: expect.any(String) as string,
      updatedAt: expect.any(String) as string,
      public: true,
      votes: 0,
      clip: { startSeconds: 0 },
      posterSeconds: 0,
      revision: 1,
      original: { url: expect.stringContaining(stack.s3Endpoint) as string },
      processed: {
        url: expect.stringContaining(stack.s3Endpoint) as string,
        playbackUrl: expect.stringContaining(stack.s3Endpoint) as string,
        durationSeconds: expect.closeTo(SOURCE_SECONDS + 2 * LOGO_SECONDS, 0) as number,
        width: 1280,
        height: 720,
        sizeBytes: expect.any(Number) as number,
      },
      thumbnail: { url: expect.stringContaining(stack.s3Endpoint) as string },
    });
    // One video's story in the stack's log: every line about the task carries its id and its trace id, from
    // the request that created it to the worker's edit (docs/operations.md, "Tracing").
    const story = await pollUntil(
      async () => taskLines(await readFile(stack.logFile, 'utf8'), created.body.id),
      (lines) => lines.some((line) => line.message === 'Video processed'),
      10_000,
    );
    expect(story.map(({ fn, message, traceId: id }) => ({ fn, message, traceId: id }))).toEqual([
      { fn: expect.stringMatching(/^ApiCreateTask/) as string, message: 'Task created', traceId },
      { fn: expect.stringMatching(/^WorkerProcessUpload/) as string, message: 'Video processed', traceId },
    ]);
    // The request's own lines carry it as Powertools' trace id too: the function ran in that trace.
    expect(story[0]?.xray_trace_id).toBe(traceId);
    const processed = task.body.processed;
    if (!processed || !task.body.original || !task.body.thumbnail)
      throw new Error('processed task without its URLs');
    const download = await fetch(processed.url);
    expect(download.status).toBe(200);
    const downloaded = join(workDir, 'edited.mp4');
    await writeFile(downloaded, Buffer.from(await download.arrayBuffer()));
    expect((await stat(downloaded)).size).toBe(processed.sizeBytes);
    const probe = await probeVideo(stack.ffprobePath, downloaded);
    expect(probe).toEqual({
      width: 1280,
      height: 720,
      durationSeconds: expect.closeTo(SOURCE_SECONDS + 2 * LOGO_SECONDS, 0) as number,
      videoCodec: 'h264',
      audioCodec: 'aac',
    });
    const thumbnail = await fetch(task.body.thumbnail.url);
    expect([thumbnail.status, thumbnail.headers.get('content-type')]).toEqual([200, 'image/jpeg']);
    const list = await callApi<TaskListResponse>(api, 'GET', '/tasks?max=10&order=1', { token });
    expect(list.status).toBe(200);
    expect(list.body.data.map((listed) => [listed.id, listed.status])).toEqual([
      [created.body.id, 'processed'],
    ]);

    // Act: delete
    const deleted = await callApi(api, 'DELETE', taskPath, { token });

    // Assess: the task and every object it owned are gone
    expect(deleted.status).toBe(204);
    expect(await callApi(api, 'GET', taskPath, { token })).toEqual({
      status: 404,
      body: { message: expect.any(String) as string },
    });
    const urls = [task.body.original.url, processed.url, task.body.thumbnail.url];
    const objects = await Promise.all(urls.map((url) => fetch(url)));
    // S3 answers a missing key with 403 to a signer that may not list the bucket (get-task's role), as on AWS.
    expect(objects.map((response) => response.status)).toEqual([403, 403, 403]);
    expect(await Promise.all(urls.map((url) => storedObjectStatus(stack.s3rverEndpoint, url)))).toEqual([
      404, 404, 404,
    ]);
  });

  it('refuses task routes without a token before any function runs', async () => {
    // Act
    const response = await callApi(api, 'GET', '/tasks');

    // Assess
    expect(response).toEqual({ status: 401, body: { message: 'Unauthorized' } });
  });

  it.each([
    ['a garbage token', 'garbage'],
    ['a token that is not a JWT of this pool', 'eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.'],
  ])('answers 401, not 403, for %s', async (_case, token) => {
    // Act
    const response = await callApi(api, 'GET', '/tasks', { token });

    // Assess
    expect(response).toEqual({ status: 401, body: { message: 'Unauthorized' } });
  });
});
