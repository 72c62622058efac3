import { randomUUID } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { CreatedTaskResponse, TaskListResponse, TaskResponse } from '#core/schemas';
import {
  callApi,
  pollUntil,
  postUpload,
  signUpAndLogIn,
  storedObjectStatus,
} from '#test/support/http-client';

const stack = inject('stack');
const api = stack.api;

let workDir: string;

beforeAll(async () => {
  workDir = await mkdtemp(join(tmpdir(), 'idrl-account-'));
});

afterAll(async () => {
  await rm(workDir, { recursive: true, force: true });
});

describe('deleting an account through the local stack', () => {
  it('takes the password, removes the upload and the user, and leaves a token that can create nothing', async () => {
    // Prepare: a pilot with an upload the platform has recorded (not a video: it fails, and stays stored).
    const username = `leaver_${randomUUID().slice(0, 8)}`;
    const password = 'Secret123';
    const token = await signUpAndLogIn(api, username, password);
    const file = join(workDir, 'notes.mp4');
    await writeFile(file, 'not a video at all');
    const created = await callApi<CreatedTaskResponse>(api, 'POST', '/tasks', {
      token,
      body: { fileName: 'notes.mp4', contentType: 'video/mp4', size: 18 },
    });
    expect(created.status).toBe(201);
    expect((await postUpload(created.body.upload, file, 'video/mp4')).status).toBe(204);
    const recorded = await pollUntil(
      () => callApi<TaskResponse>(api, 'GET', `/tasks/${created.body.id}`, { token }),
      (response) => response.body.original !== undefined,
      60_000,
    );
    const original = recorded.body.original?.url;
    if (original === undefined) throw new Error('the upload was never recorded');
    expect((await fetch(original)).status).toBe(200);

    // Act
    const wrong = await callApi(api, 'DELETE', '/auth/me', { token, body: { password: 'Wrong1234' } });
    const deleted = await callApi(api, 'DELETE', '/auth/me', { token, body: { password } });
    const repeated = await callApi(api, 'DELETE', '/auth/me', { token, body: { password } });

    // Assess
    expect(wrong).toEqual({ status: 403, body: { message: 'The password is incorrect' } });
    expect(deleted).toEqual({ status: 204, body: undefined });
    expect(repeated).toEqual({ status: 204, body: undefined });
    // S3 answers a missing key with 403 to a signer that may not list the bucket (the presigning function's
    // role), as AWS does; s3rver itself shows the object is gone.
    expect((await fetch(original)).status).toBe(403);
    expect(await storedObjectStatus(stack.s3rverEndpoint, original)).toBe(404);
    const again = await callApi(api, 'POST', '/auth/login', { body: { username, password } });
    expect(again).toEqual({ status: 401, body: { message: 'Invalid username or password' } });
    // The token outlives the user until it expires: it finds nothing and creates nothing.
    const list = await callApi<TaskListResponse>(api, 'GET', '/tasks', { token });
    expect(list).toEqual({ status: 200, body: { data: [] } });
    const creating = await callApi(api, 'POST', '/tasks', {
      token,
      body: { fileName: 'again.mp4', contentType: 'video/mp4', size: 18 },
    });
    expect(creating).toEqual({ status: 401, body: { message: 'This account has been deleted' } });
  });
});
