/**
 * The hostile corpus of test/integration/worker-media.ts uploaded through the running local stack,
 * as a pilot would: each ends `processed` or `failed` with its reason, and the loopback bait server
 * its playlists point at receives no request.
 */
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { CreatedTaskResponse, TaskResponse } from '#core/schemas';
import { HOSTILE_FIXTURES } from '#test/integration/worker-media';
import { callApi, pollUntil, postUpload, signUpAndLogIn } from '#test/support/http-client';

const stack = inject('stack');
const requests: string[] = [];
const bait = createServer((request, response) => {
  requests.push(request.url ?? '');
  response.end();
});
let baitUrl: string;
let workDir: string;
let token: string;

beforeAll(async () => {
  workDir = await mkdtemp(join(tmpdir(), 'idrl-hostile-'));
  await new Promise<void>((resolve) => bait.listen(0, '127.0.0.1', resolve));
  baitUrl = `http://127.0.0.1:${(bait.address() as AddressInfo).port}`;
  const username = `pilot_${randomUUID().slice(0, 8)}`;
  token = await signUpAndLogIn(stack.api, username, 'Secret123');
});

afterAll(async () => {
  bait.close();
  await rm(workDir, { recursive: true, force: true });
});

describe.each(HOSTILE_FIXTURES)('a hostile upload: $name', (fixture) => {
  it('ends as the worker test says, and nothing reaches the bait', async () => {
    // Prepare
    const dir = await mkdtemp(join(workDir, 'upload-'));
    const file = join(dir, fixture.file);
    await fixture.generate(file, dir, baitUrl);
    const created = await callApi<CreatedTaskResponse>(stack.api, 'POST', '/tasks', {
      token,
      body: { fileName: fixture.file, contentType: 'video/mp4', size: (await stat(file)).size },
    });

    // Act
    const upload = await postUpload(created.body.upload, file, 'video/mp4');
    const task = await pollUntil(
      () => callApi<TaskResponse>(stack.api, 'GET', `/tasks/${created.body.id}`, { token }),
      (response) => response.body.status === 'processed' || response.body.status === 'failed',
      180_000,
    );

    // Assess
    expect(upload.status).toBe(204);
    expect({
      status: task.body.status,
      durationSeconds: task.body.processed ? Math.round(task.body.processed.durationSeconds) : undefined,
      failureReason: task.body.failureReason,
    }).toEqual(
      fixture.expected.kind === 'edited'
        ? { status: 'processed', durationSeconds: fixture.expected.durationSeconds, failureReason: undefined }
        : {
            status: 'failed',
            durationSeconds: undefined,
            failureReason: expect.stringMatching(fixture.expected.reason) as unknown,
          },
    );
    expect(requests).toEqual([]);
  });
});
