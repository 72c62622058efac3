import { createdTask } from '#test/helpers/tasks';
import { instanceTaskService } from '#test/helpers/task-services';
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Context } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { handler as createTask } from '#functions/api/create-task';
import { handler as deleteTask } from '#functions/api/delete-task';
import { handler as getTask } from '#functions/api/get-task';
import { handler as health } from '#functions/api/health';
import { handler as listTasks } from '#functions/api/list-tasks';
import { handler as openapi } from '#functions/api/openapi';
import { handler as migrate } from '#functions/ops/migrate';
import { migrations } from '#adapters/pg/migrations';
import { createPool, databasePool } from '#commons/clients';
import { databaseConfig, taskLimits } from '#commons/config';
import { TooManyRequestsError } from '#core/errors';
import { securityHeaders, type ApiHandler } from '#commons/http';
import { getObjectStore, getTaskRepository } from '#commons/composition-root';
import type { CreatedTaskResponse, TaskResponse } from '#core/schemas';
import { type Caller } from '#core/task';
import { processedVideoKey, thumbnailKey } from '#core/object-keys';
import { parseUploadNotification } from '#core/upload-notification';
import { STALLED_TASK_REASON } from '#core/task-sweeper';
import { RETRY_NOT_QUEUED_REASON } from '#core/task-service';
import type { InvocableHandler } from '#infra/local/lambda-api';
import { LOCAL_INVOKED_FUNCTIONS } from '#infra/local/services/backing';
import { type AwsEndpoint, recordingQueue, startAwsEndpoint } from '#test/helpers/aws-endpoint';
import { invoke, testContext } from '#test/helpers/api-gateway';
import { type CheckOptions, INVALID_REQUEST } from '#test/helpers/contract';
import { anyNumber, anyObject, anyString, containing } from '#test/helpers/matchers';

const MAX_UPLOAD_BYTES = 524_288_000;

// The retry route and the scheduled sweep run outside the VPC: they invoke their halves inside it through the
// Lambda API and queue uploads with SQS SendMessage, both answered by a local gateway as on AWS.
const queue = recordingQueue(`uploads-api-tasks-${process.pid}`, 'us-east-1');
let endpoint: AwsEndpoint;
let retryTask: ApiHandler;
let runSweep: (event: unknown, context: Context) => Promise<Record<string, number[] | number>>;

beforeAll(async () => {
  const [retryTransition, sweepTasks] = await Promise.all([
    import('#functions/ops/retry-transition'),
    import('#functions/ops/sweep-tasks'),
  ]);
  endpoint = await startAwsEndpoint({
    queue,
    region: 'us-east-1',
    functions: new Map<string, InvocableHandler>([
      [LOCAL_INVOKED_FUNCTIONS.RETRY_TRANSITION_FUNCTION, retryTransition.handler],
      [LOCAL_INVOKED_FUNCTIONS.SWEEP_FUNCTION, sweepTasks.handler],
    ]),
  });
  ({ handler: retryTask } = await import('#functions/api/retry-task'));
  ({ handler: runSweep } = await import('#functions/ops/run-sweep'));
});

afterAll(async () => {
  await endpoint.stop();
});

/** The objects named by the messages sent to the upload queue since `from`. */
function queuedKeys(from = 0): string[] {
  return queue.bodies.slice(from).flatMap((body) => {
    const notification = parseUploadNotification(body);
    return notification.kind === 'objects' ? notification.objects.map((object) => object.key) : [];
  });
}
const VIDEO = Buffer.from('not really a video, but S3 does not care');

function newCaller(): Caller {
  return { sub: randomUUID(), username: `pilot_${randomUUID().slice(0, 8)}` };
}

async function create(caller: Caller, body: unknown, options?: CheckOptions) {
  return invoke(createTask, { method: 'POST', route: '/api/tasks', body, caller }, options);
}

async function createOk(
  caller: Caller,
  fileName = 'race.mp4',
  size = VIDEO.length,
): Promise<CreatedTaskResponse> {
  const response = await create(caller, { fileName, contentType: 'video/mp4', size });
  expect(response.statusCode).toBe(201);
  return response.body as CreatedTaskResponse;
}

async function byId(handler: ApiHandler, caller: Caller, id: string, options?: CheckOptions) {
  return invoke(
    handler,
    {
      method: handler === deleteTask ? 'DELETE' : 'GET',
      route: '/api/tasks/{id}',
      pathParameters: { id },
      caller,
    },
    options,
  );
}

/** How many tasks the sweeper failed so far, by its two reasons. */
async function sweptCounts(): Promise<{ expired: number; stalled: number }> {
  const { rows } = await databasePool().query<{ expired: string; stalled: string }>(
    `SELECT count(*) FILTER (WHERE failure_reason = $1) AS expired,
            count(*) FILTER (WHERE failure_reason = $2) AS stalled
       FROM tasks`,
    ['upload not received within 24 h', STALLED_TASK_REASON],
  );
  return { expired: Number(rows[0]?.expired), stalled: Number(rows[0]?.stalled) };
}

async function taskCount(caller: Caller): Promise<number> {
  const { rows } = await databasePool().query<{ count: string }>(
    'SELECT count(*) FROM tasks WHERE owner_id = $1',
    [caller.sub],
  );
  return Number(rows[0]?.count);
}

/** Posts the file as a browser would: the presigned fields, then the file last. */
async function upload(task: CreatedTaskResponse, content: Buffer = VIDEO): Promise<Response> {
  const form = new FormData();
  for (const [name, value] of Object.entries(task.upload.fields)) form.append(name, value);
  form.append(
    'file',
    new Blob([new Uint8Array(content)], { type: task.upload.fields['Content-Type'] }),
    'race.mp4',
  );
  return fetch(task.upload.url, { method: 'POST', body: form });
}

function policyOf(task: CreatedTaskResponse): { expiration: string; conditions: unknown[] } {
  return JSON.parse(Buffer.from(task.upload.fields.Policy ?? '', 'base64').toString('utf8')) as {
    expiration: string;
    conditions: unknown[];
  };
}

describe('POST /api/tasks', () => {
  it('creates a task awaiting upload with a presigned POST scoped to one server-chosen key', async () => {
    // Prepare
    const caller = newCaller();
    const before = Date.now();

    // Act
    const response = await create(caller, { fileName: 'race.mp4', contentType: 'video/mp4', size: 1234 });
    const after = Date.now();

    // Assess
    const task = response.body as CreatedTaskResponse;
    expect(response).toEqual({
      statusCode: 201,
      headers: securityHeaders,
      body: {
        id: anyNumber,
        fileName: 'race.mp4',
        title: 'race',
        status: 'awaiting_upload',
        createdAt: anyString,
        updatedAt: anyString,
        public: true,
        votes: 0,
        clip: { startSeconds: 0 },
        posterSeconds: 0,
        revision: 1,
        upload: {
          url: `${process.env.S3_ENDPOINT}/${process.env.BUCKET_NAME}`,
          fields: anyObject,
          expiresAt: anyString,
          maxBytes: 1234,
        },
      },
    });
    const key = task.upload.fields.key ?? '';
    expect(key).toMatch(new RegExp(`^uploads/${task.id}/[0-9a-f-]{36}$`));
    expect(task.upload.fields['Content-Type']).toBe('video/mp4');
    const policy = policyOf(task);
    expect(policy.conditions).toEqual(
      expect.arrayContaining([
        { bucket: process.env.BUCKET_NAME },
        { key },
        ['eq', '$Content-Type', 'video/mp4'],
        ['content-length-range', 1, 1234],
      ]),
    );
    // 15 minutes after the moment the server signed, which lies between before and after (however
    // slow the machine); the policy's expiration may be truncated to the second.
    const expiration = Date.parse(policy.expiration);
    expect(expiration).toBeGreaterThan(before + 900_000 - 1_000);
    expect(expiration).toBeLessThanOrEqual(after + 900_000);
    expect(Date.parse(task.upload.expiresAt)).toBe(Date.parse(policy.expiration));
    expect(await taskCount(caller)).toBe(1);
  });

  it('caps the upload at the configured maximum and rejects a larger declared size with 413', async () => {
    // Prepare
    const caller = newCaller();

    // Act
    const atLimit = await create(caller, {
      fileName: 'max.mp4',
      contentType: 'video/mp4',
      size: MAX_UPLOAD_BYTES,
    });
    const overLimit = await create(caller, {
      fileName: 'huge.mp4',
      contentType: 'video/mp4',
      size: MAX_UPLOAD_BYTES + 1,
    });

    // Assess
    expect(policyOf(atLimit.body as CreatedTaskResponse).conditions).toContainEqual([
      'content-length-range',
      1,
      MAX_UPLOAD_BYTES,
    ]);
    expect(overLimit).toEqual({
      statusCode: 413,
      headers: securityHeaders,
      body: { message: 'The video is larger than the 500 MiB limit' },
    });
    expect(await taskCount(caller)).toBe(1);
  });

  it('stores unicode and injection-looking display names verbatim', async () => {
    // Prepare
    const caller = newCaller();
    const fileName = "Robert'); DROP TABLE tasks;-- <img src=x onerror=alert(1)> ñ😀.mp4";

    // Act
    const created = await createOk(caller, fileName);

    // Assess
    expect((await byId(getTask, caller, String(created.id))).body).toMatchObject({ fileName });
    expect(created.upload.fields.key).toMatch(/^uploads\/\d+\/[0-9a-f-]{36}$/);
  });

  it.each([
    ['malformed JSON', '{"fileName":', 'The request body is not valid JSON', undefined],
    ['a JSON array', '[{"fileName":"a.mp4"}]', 'The request body must be a JSON object', undefined],
    [
      'a missing body',
      undefined,
      'Invalid request',
      [{ field: '(root)', message: 'Invalid input: expected object, received undefined' }],
    ],
    [
      'a missing field',
      { fileName: 'a.mp4', contentType: 'video/mp4' },
      'Invalid request',
      [{ field: 'size', message: 'Must be a positive integer' }],
    ],
    [
      'an extra field',
      { fileName: 'a.mp4', contentType: 'video/mp4', size: 1, key: 'uploads/1/mine' },
      'Invalid request',
      [{ field: 'key', message: 'Unknown field' }],
    ],
    [
      'a wrong-typed size',
      { fileName: 'a.mp4', contentType: 'video/mp4', size: '10' },
      'Invalid request',
      [{ field: 'size', message: 'Must be a positive integer' }],
    ],
    [
      'a zero size',
      { fileName: 'a.mp4', contentType: 'video/mp4', size: 0 },
      'Invalid request',
      [{ field: 'size', message: 'Must be a positive integer' }],
    ],
    [
      'a negative size',
      { fileName: 'a.mp4', contentType: 'video/mp4', size: -5 },
      'Invalid request',
      [{ field: 'size', message: 'Must be a positive integer' }],
    ],
    [
      'a fractional size',
      { fileName: 'a.mp4', contentType: 'video/mp4', size: 1.5 },
      'Invalid request',
      [{ field: 'size', message: 'Must be a positive integer' }],
    ],
    [
      'a huge size',
      { fileName: 'a.mp4', contentType: 'video/mp4', size: 1e300 },
      'Invalid request',
      [{ field: 'size', message: 'Must be a positive integer' }],
    ],
    [
      'a path traversal name',
      { fileName: '../../etc/passwd', contentType: 'video/mp4', size: 1 },
      'Invalid request',
      [{ field: 'fileName', message: 'Must not contain / \\ : or control characters' }],
    ],
    [
      'a URL name',
      { fileName: 'https://evil.example/a.mp4', contentType: 'video/mp4', size: 1 },
      'Invalid request',
      [{ field: 'fileName', message: 'Must not contain / \\ : or control characters' }],
    ],
    [
      'a control character name',
      { fileName: 'a\u0000.mp4', contentType: 'video/mp4', size: 1 },
      'Invalid request',
      [{ field: 'fileName', message: 'Must not contain / \\ : or control characters' }],
    ],
    [
      'a non-video content type',
      { fileName: 'a.mp4', contentType: 'text/html', size: 1 },
      'Invalid request',
      [{ field: 'contentType', message: 'Must be video/* or application/octet-stream' }],
    ],
    [
      'a wrong-typed name',
      { fileName: ['a.mp4'], contentType: 'video/mp4', size: 1 },
      'Invalid request',
      [{ field: 'fileName', message: 'Invalid input: expected string, received array' }],
    ],
  ])('answers 400 for %s and stores nothing', async (_case, body, message, errors) => {
    // Prepare
    const caller = newCaller();

    // Act
    const response = await create(caller, body, INVALID_REQUEST);

    // Assess
    expect(response).toEqual({
      statusCode: 400,
      headers: securityHeaders,
      body: errors === undefined ? { message } : { message, errors },
    });
    expect(await taskCount(caller)).toBe(0);
  });

  it('answers 413 for an oversized body and stores nothing', async () => {
    // Prepare
    const caller = newCaller();

    // Act
    const response = await create(
      caller,
      { fileName: 'a.mp4', contentType: 'video/mp4', size: 1, padding: 'x'.repeat(65_536) },
      INVALID_REQUEST,
    );

    // Assess
    expect(response).toEqual({
      statusCode: 413,
      headers: securityHeaders,
      body: { message: 'The request body is larger than 65536 bytes' },
    });
    expect(await taskCount(caller)).toBe(0);
  });

  it('answers 401 when the authorizer context is missing', async () => {
    // Act
    const response = await invoke(createTask, {
      method: 'POST',
      route: '/api/tasks',
      body: { fileName: 'a.mp4', contentType: 'video/mp4', size: 1 },
    });

    // Assess
    expect(response).toEqual({
      statusCode: 401,
      headers: securityHeaders,
      body: { message: 'Unauthorized' },
    });
  });
});

describe('GET /api/tasks/{id}', () => {
  it('shows the original once uploaded, downloadable under the pilot file name', async () => {
    // Prepare
    const caller = newCaller();
    const created = await createOk(caller, 'carrera ñ.mp4');
    expect((await upload(created)).status).toBe(204);
    await getTaskRepository().markUploaded(created.upload.fields.key ?? '', VIDEO.length);

    // Act
    const response = await byId(getTask, caller, String(created.id));

    // Assess
    const task = response.body as TaskResponse;
    expect(response).toEqual({
      statusCode: 200,
      headers: securityHeaders,
      body: {
        id: created.id,
        fileName: 'carrera ñ.mp4',
        title: 'carrera ñ',
        status: 'uploaded',
        createdAt: created.createdAt,
        updatedAt: anyString,
        public: true,
        votes: 0,
        clip: { startSeconds: 0 },
        posterSeconds: 0,
        revision: 1,
        original: { url: anyString },
      },
    });
    const download = await fetch(task.original?.url ?? '');
    expect(Buffer.from(await download.arrayBuffer())).toEqual(VIDEO);
    expect(download.headers.get('content-disposition')).toBe(
      `attachment; filename="carrera _.mp4"; filename*=UTF-8''carrera%20%C3%B1.mp4`,
    );
  });

  it('shows processed video and thumbnail URLs with metadata once processed', async () => {
    // Prepare
    const caller = newCaller();
    const created = await createOk(caller, 'lap.mov');
    const repository = getTaskRepository();
    const directory = await mkdtemp(join(tmpdir(), 'idrl-api-'));
    await writeFile(join(directory, 'video.mp4'), 'edited');
    await writeFile(join(directory, 'thumbnail.jpg'), 'poster');
    await getObjectStore().putFile({
      key: processedVideoKey(created.id),
      path: join(directory, 'video.mp4'),
      contentType: 'video/mp4',
    });
    await getObjectStore().putFile({
      key: thumbnailKey(created.id),
      path: join(directory, 'thumbnail.jpg'),
      contentType: 'image/jpeg',
    });
    await rm(directory, { recursive: true });
    await repository.markUploaded(created.upload.fields.key ?? '', VIDEO.length);
    await repository.markProcessing(created.id);
    await repository.markProcessed(created.id, {
      processedKey: processedVideoKey(created.id),
      thumbnailKey: thumbnailKey(created.id),
      metadata: {
        durationSeconds: 20,
        width: 1280,
        height: 720,
        sizeBytes: 6,
        processingMs: 100,
        sourceBytesRead: 10,
      },
    });

    // Act
    const response = await byId(getTask, caller, String(created.id));

    // Assess
    const task = response.body as TaskResponse;
    expect(task).toEqual({
      id: created.id,
      fileName: 'lap.mov',
      title: 'lap',
      status: 'processed',
      createdAt: created.createdAt,
      updatedAt: anyString,
      public: true,
      votes: 0,
      clip: { startSeconds: 0 },
      posterSeconds: 0,
      revision: 1,
      original: { url: anyString },
      processed: {
        url: anyString,
        playbackUrl: anyString,
        durationSeconds: 20,
        width: 1280,
        height: 720,
        sizeBytes: 6,
      },
      thumbnail: { url: anyString },
    });
    const video = await fetch(task.processed?.url ?? '');
    expect(await video.text()).toBe('edited');
    expect(video.headers.get('content-disposition')).toBe(
      `attachment; filename="lap-idrl.mp4"; filename*=UTF-8''lap-idrl.mp4`,
    );
    const playback = await fetch(task.processed?.playbackUrl ?? '');
    expect(await playback.text()).toBe('edited');
    expect(playback.headers.get('content-disposition')).toBeNull();
    expect(await (await fetch(task.thumbnail?.url ?? '')).text()).toBe('poster');
  });

  it('answers the same 404 for another user task and for an unknown id', async () => {
    // Prepare
    const owner = newCaller();
    const created = await createOk(owner);

    // Act
    const foreign = await byId(getTask, newCaller(), String(created.id));
    const unknown = await byId(getTask, owner, '999999999');

    // Assess
    expect(foreign).toEqual({
      statusCode: 404,
      headers: securityHeaders,
      body: { message: 'Video not found' },
    });
    expect(unknown).toEqual(foreign);
  });

  it.each(['abc', '0', '-1', '1.5', '1e3', "1' OR '1'='1", '99999999999999999999'])(
    'answers 400 for the id %j',
    async (id) => {
      // Act
      const response = await byId(getTask, newCaller(), id, INVALID_REQUEST);

      // Assess
      expect(response).toEqual({
        statusCode: 400,
        headers: securityHeaders,
        body: {
          message: 'Invalid task id',
          errors: [{ field: 'id', message: 'Must be a positive integer' }],
        },
      });
    },
  );
});

describe('GET /api/tasks', () => {
  const caller = newCaller();
  const ids: number[] = [];

  beforeAll(async () => {
    for (let index = 0; index < 3; index++) ids.push((await createOk(caller, `lap-${index}.mp4`)).id);
    await createOk(newCaller());
  });

  async function list(query?: Record<string, string>, who = caller, options?: CheckOptions) {
    return invoke(listTasks, { method: 'GET', route: '/api/tasks', query, caller: who }, options);
  }

  it('lists only the caller tasks in ascending id order by default', async () => {
    // Act
    const response = await list();

    // Assess
    expect(response.statusCode).toBe(200);
    expect(response.body).toEqual({
      data: ids.map((id, index) =>
        containing({ id, fileName: `lap-${index}.mp4`, status: 'awaiting_upload' }),
      ),
    });
  });

  it('pages in descending order with nextCursor', async () => {
    // Act
    const first = await list({ max: '2', order: '1' });
    const second = await list({
      max: '2',
      order: '1',
      cursor: (first.body as { nextCursor: string }).nextCursor,
    });

    // Assess
    expect(first.body).toEqual({
      data: [containing({ id: ids[2] }), containing({ id: ids[1] })],
      nextCursor: String(ids[1]),
    });
    expect(second.body).toEqual({ data: [containing({ id: ids[0] })] });
  });

  it('answers an empty list for a user without tasks', async () => {
    expect((await list(undefined, newCaller())).body).toEqual({ data: [] });
  });

  it.each([
    [{ max: '0' }, 'max'],
    [{ max: '101' }, 'max'],
    [{ max: 'abc' }, 'max'],
    [{ order: '2' }, 'order'],
    [{ order: 'desc' }, 'order'],
    [{ cursor: 'x' }, 'cursor'],
    [{ sort: 'id' }, 'sort'],
  ])('answers 400 for %j', async (query, field) => {
    // Act
    const response = await list(query, caller, INVALID_REQUEST);

    // Assess
    expect(response.statusCode).toBe(400);
    expect(response.body).toEqual({
      message: 'Invalid query parameters',
      errors: [{ field, message: anyString }],
    });
  });
});

describe('per-pilot quotas on POST /api/tasks', () => {
  const MAX_DAILY_UPLOAD_BYTES = 5 * 1024 ** 3;

  async function finish(id: number): Promise<void> {
    await getTaskRepository().markFailed(id, 'finished by the test', 'transient');
  }

  it('lets exactly one of 10 simultaneous creates through at 4 unfinished tasks, across 10 function instances', async () => {
    // Prepare: one pool (one connection) per simulated Lambda instance, as on AWS.
    const caller = newCaller();
    for (let index = 0; index < 4; index += 1) await createOk(caller, `old-${index}.mp4`);
    const pools = Array.from({ length: 10 }, () => createPool(databaseConfig()));
    const services = pools.map((pool) => instanceTaskService(pool, taskLimits()));

    // Act
    const outcomes = await Promise.allSettled(
      services.map((service, index) =>
        service.create(caller, { fileName: `new-${index}.mp4`, contentType: 'video/mp4', size: 1234 }),
      ),
    );
    await Promise.all(pools.map((pool) => pool.end()));

    // Assess
    expect(outcomes.filter((outcome) => outcome.status === 'fulfilled')).toHaveLength(1);
    expect(
      outcomes.filter((outcome) => outcome.status === 'rejected').map((outcome) => outcome.reason as unknown),
    ).toEqual(
      Array.from(
        { length: 9 },
        () =>
          new TooManyRequestsError(
            'You already have 5 unfinished tasks: wait until one is processed or failed, or delete one',
          ),
      ),
    );
    expect(await taskCount(caller)).toBe(5);
    const refused = await create(caller, { fileName: 'sixth.mp4', contentType: 'video/mp4', size: 10 });
    expect(refused).toEqual({
      statusCode: 429,
      headers: securityHeaders,
      body: {
        message: 'You already have 5 unfinished tasks: wait until one is processed or failed, or delete one',
      },
    });
  });

  it('counts only unfinished tasks: a failed one frees a place, and other pilots are not affected', async () => {
    // Prepare
    const caller = newCaller();
    const created = [];
    for (let index = 0; index < 5; index += 1) created.push(await createOk(caller, `t-${index}.mp4`));
    const refused = await create(caller, { fileName: 'sixth.mp4', contentType: 'video/mp4', size: 10 });
    await finish(created[0]?.id ?? 0);

    // Act
    const afterFailure = await create(caller, { fileName: 'sixth.mp4', contentType: 'video/mp4', size: 10 });
    const otherPilot = await create(newCaller(), {
      fileName: 'first.mp4',
      contentType: 'video/mp4',
      size: 10,
    });

    // Assess
    expect(refused.statusCode).toBe(429);
    expect(afterFailure.statusCode).toBe(201);
    expect(otherPilot.statusCode).toBe(201);
  });

  it('refuses declared bytes past 5 GiB in 24 h with a Retry-After, even after the tasks are deleted', async () => {
    // Prepare: ten finished 500 MiB tasks, the last five deleted.
    const caller = newCaller();
    for (let index = 0; index < 10; index += 1) {
      const task = await createOk(caller, `big-${index}.mp4`, MAX_UPLOAD_BYTES);
      await finish(task.id);
      if (index >= 5) expect((await byId(deleteTask, caller, String(task.id))).statusCode).toBe(204);
    }

    // Act
    const fits = await create(caller, {
      fileName: 'fits.mp4',
      contentType: 'video/mp4',
      size: 120 * 1024 ** 2,
    });
    const tooMuch = await create(caller, { fileName: 'more.mp4', contentType: 'video/mp4', size: 1024 ** 2 });

    // Assess
    expect(10 * MAX_UPLOAD_BYTES + 120 * 1024 ** 2).toBe(MAX_DAILY_UPLOAD_BYTES);
    expect(fits.statusCode).toBe(201);
    expect(tooMuch).toEqual({
      statusCode: 429,
      headers: { 'retry-after': anyString, ...securityHeaders },
      body: { message: 'This upload would take your uploads of the last 24 hours past 5 GiB' },
    });
    // The oldest 500 MiB ages out 24 h after it was declared, a few seconds ago at most.
    const retryAfter = Number(tooMuch.headers['retry-after']);
    expect(retryAfter).toBeGreaterThan(86_400 - 600);
    expect(retryAfter).toBeLessThanOrEqual(86_400);
  });
});

describe('DELETE /api/tasks/{id}', () => {
  it('deletes the row and every object, then answers 404 to a repeat', async () => {
    // Prepare
    const caller = newCaller();
    const created = await createOk(caller);
    await upload(created);
    const directory = await mkdtemp(join(tmpdir(), 'idrl-api-'));
    await writeFile(join(directory, 'out'), 'x');
    await getObjectStore().putFile({
      key: processedVideoKey(created.id),
      path: join(directory, 'out'),
      contentType: 'video/mp4',
    });
    await rm(directory, { recursive: true });

    // Act
    const first = await byId(deleteTask, caller, String(created.id));
    const repeat = await byId(deleteTask, caller, String(created.id));

    // Assess
    expect(first).toEqual({ statusCode: 204, headers: securityHeaders, body: undefined });
    expect(repeat).toEqual({
      statusCode: 404,
      headers: securityHeaders,
      body: { message: 'Video not found' },
    });
    expect(await getObjectStore().stat(created.upload.fields.key ?? '')).toBeNull();
    expect(await getObjectStore().stat(processedVideoKey(created.id))).toBeNull();
    expect(await taskCount(caller)).toBe(0);
  });

  it('answers 404 for another user task and leaves it intact', async () => {
    // Prepare
    const owner = newCaller();
    const created = await createOk(owner);
    await upload(created);

    // Act
    const response = await byId(deleteTask, newCaller(), String(created.id));

    // Assess
    expect(response).toEqual({
      statusCode: 404,
      headers: securityHeaders,
      body: { message: 'Video not found' },
    });
    expect(await taskCount(owner)).toBe(1);
    expect((await getObjectStore().stat(created.upload.fields.key ?? ''))?.sizeBytes).toBe(VIDEO.length);
  });

  it('answers 400 for a non-numeric id', async () => {
    expect((await byId(deleteTask, newCaller(), 'abc', INVALID_REQUEST)).statusCode).toBe(400);
  });

  it('leaves nothing behind when the object store fails once: the repeated delete finishes', async () => {
    // Prepare
    const caller = newCaller();
    const created = await createOk(caller);
    await upload(created);
    const store = getObjectStore();
    const deleteMany = store.deleteMany.bind(store);
    const failOnce = vi
      .spyOn(store, 'deleteMany')
      .mockRejectedValueOnce(new Error('S3 is unavailable'))
      .mockImplementation(deleteMany);

    // Act
    const first = await byId(deleteTask, caller, String(created.id));
    const hidden = await byId(getTask, caller, String(created.id));
    const second = await byId(deleteTask, caller, String(created.id));
    failOnce.mockRestore();

    // Assess
    expect(first).toEqual({
      statusCode: 500,
      headers: securityHeaders,
      body: { message: 'Internal server error' },
    });
    expect(hidden.statusCode).toBe(404);
    expect(second).toEqual({ statusCode: 204, headers: securityHeaders, body: undefined });
    expect(await getObjectStore().stat(created.upload.fields.key ?? '')).toBeNull();
    expect(await taskCount(caller)).toBe(0);
  });
});

describe('POST /api/tasks/{id}/retry', () => {
  async function retry(caller: Caller, id: number) {
    return invoke(retryTask, {
      method: 'POST',
      route: '/api/tasks/{id}/retry',
      pathParameters: { id: String(id) },
      caller,
    });
  }

  async function failedTask(caller: Caller, reason: string, kind: 'content' | 'transient') {
    const created = await createOk(caller);
    await upload(created);
    const repository = getTaskRepository();
    await repository.markUploaded(created.upload.fields.key ?? '', VIDEO.length);
    await repository.markFailed(created.id, reason, kind);
    return created;
  }

  it('answers 202 for a transient failure and queues the upload again with SQS SendMessage', async () => {
    // Prepare
    const caller = newCaller();
    const created = await failedTask(caller, 'Processing failed after 3 attempts', 'transient');
    const before = await byId(getTask, caller, String(created.id));
    const sent = queue.bodies.length;

    // Act
    const response = await retry(caller, created.id);

    // Assess
    expect((before.body as TaskResponse).retryable).toBe(true);
    expect(response).toEqual({
      statusCode: 202,
      headers: securityHeaders,
      body: {
        id: created.id,
        fileName: 'race.mp4',
        title: 'race',
        status: 'uploaded',
        createdAt: anyString,
        updatedAt: anyString,
        public: true,
        votes: 0,
        clip: { startSeconds: 0 },
        posterSeconds: 0,
        revision: 1,
        original: { url: anyString },
      },
    });
    expect(queuedKeys(sent)).toEqual([created.upload.fields.key]);
    expect(endpoint.errors).toEqual([]);
  });

  it('answers 503 and leaves the task failed and retryable, the retry not counted, when SQS refuses', async () => {
    // Prepare
    const caller = newCaller();
    const created = await failedTask(caller, 'Processing failed after 3 attempts', 'transient');
    queue.failing = true;

    // Act
    let response;
    try {
      response = await retry(caller, created.id);
    } finally {
      queue.failing = false;
    }

    // Assess
    expect(response).toEqual({
      statusCode: 503,
      headers: { ...securityHeaders, 'retry-after': '5' },
      body: { message: 'The service is temporarily unavailable. Please try again shortly.' },
    });
    expect(await getTaskRepository().findForOwner(created.id, caller.sub)).toMatchObject({
      status: 'failed',
      failureReason: RETRY_NOT_QUEUED_REASON,
      failureKind: 'transient',
      manualRetries: 0,
    });
    // SQS's answer was the entry's failure, as SQS reports it, not an error of the endpoint.
    expect(endpoint.errors).toEqual([]);
    // And the pilot's next retry goes through.
    expect((await retry(caller, created.id)).statusCode).toBe(202);
  });

  it('answers 409 with the reason for a content failure and queues nothing', async () => {
    // Prepare
    const caller = newCaller();
    const created = await failedTask(caller, 'The file contains no video stream.', 'content');
    const sent = queue.bodies.length;

    // Act
    const response = await retry(caller, created.id);

    // Assess
    expect(response).toEqual({
      statusCode: 409,
      headers: securityHeaders,
      body: { message: 'The upload cannot be processed: The file contains no video stream.' },
    });
    expect(queuedKeys(sent)).toEqual([]);
  });

  it('answers 404 for another user task and 409 for a task that has not failed', async () => {
    // Prepare
    const owner = newCaller();
    const failed = await failedTask(owner, 'Processing did not finish', 'transient');
    const waiting = await createOk(owner);

    // Act
    const stranger = await retry(newCaller(), failed.id);
    const notFailed = await retry(owner, waiting.id);

    // Assess
    expect(stranger).toEqual({
      statusCode: 404,
      headers: securityHeaders,
      body: { message: 'Video not found' },
    });
    expect(notFailed).toEqual({
      statusCode: 409,
      headers: securityHeaders,
      body: { message: 'Only a failed task can be retried.' },
    });
  });
});

describe('GET /api/health', () => {
  it('reports the database as reachable', async () => {
    expect(await invoke(health, { method: 'GET', route: '/api/health' })).toEqual({
      statusCode: 200,
      headers: securityHeaders,
      body: { status: 'ok', database: 'ok' },
    });
  });

  describe('with the database down', () => {
    const saved = process.env.DATABASE_URL;

    afterAll(() => {
      process.env.DATABASE_URL = saved;
      vi.resetModules();
    });

    it('answers 503 with the database unreachable', async () => {
      // Prepare: a fresh module graph whose pool points at a closed port.
      vi.resetModules();
      process.env.DATABASE_URL = 'postgres://nobody:nothing@127.0.0.1:9/none';
      const { handler } = await import('#functions/api/health');

      // Act
      const response = await invoke(handler, { method: 'GET', route: '/api/health' });

      // Assess
      expect(response).toEqual({
        statusCode: 503,
        headers: securityHeaders,
        body: { status: 'unavailable', database: 'unreachable' },
      });
    });
  });
});

describe('GET /api/openapi.json', () => {
  it('describes every API route with its operation', async () => {
    // Act
    const response = await invoke(openapi, { method: 'GET', route: '/api/openapi.json' });

    // Assess
    const document = response.body as {
      openapi: string;
      paths: Record<string, Record<string, { operationId: string }>>;
    };
    expect(response.statusCode).toBe(200);
    expect(document.openapi).toBe('3.1.0');
    const operations = Object.entries(document.paths).flatMap(([path, methods]) =>
      Object.entries(methods).map(([method, operation]) => `${method} ${path} ${operation.operationId}`),
    );
    expect(operations.sort()).toEqual([
      'delete /api/admin/pilots/{username}/votes annul-votes',
      'delete /api/auth/me delete-account',
      'delete /api/public/videos/{id}/vote withdraw-vote',
      'delete /api/tasks/{id} delete-task',
      'get /api/admin/audit audit-log',
      'get /api/admin/reports admin-reports',
      'get /api/auth/me me',
      'get /api/health health',
      'get /api/me/votes my-votes',
      'get /api/openapi.json openapi',
      'get /api/public/pilots/{username} get-pilot',
      'get /api/public/rankings rankings',
      'get /api/public/videos list-public-videos',
      'get /api/public/videos/{id} get-public-video',
      'get /api/tasks list-tasks',
      'get /api/tasks/{id} get-task',
      'get /api/tasks/{id}/multipart/{uploadId}/parts list-upload-parts',
      'patch /api/tasks/{id} update-task',
      'post /api/admin/pilots/{username}/reinstate reinstate-pilot',
      'post /api/admin/pilots/{username}/suspend suspend-pilot',
      'post /api/admin/videos/{id}/hide hide-video',
      'post /api/admin/videos/{id}/restore restore-video',
      'post /api/auth/login login',
      'post /api/auth/logout logout',
      'post /api/auth/password/forgot forgot-password',
      'post /api/auth/password/reset reset-password',
      'post /api/auth/refresh refresh',
      'post /api/auth/signup signup',
      'post /api/auth/verify-email verify-email',
      'post /api/auth/verify-email/resend resend-verification',
      'post /api/public/videos/{id}/reports report-video',
      'post /api/public/videos/{id}/views record-view',
      'post /api/public/videos/{id}/vote vote',
      'post /api/tasks create-task',
      'post /api/tasks/{id}/multipart start-multipart-upload',
      'post /api/tasks/{id}/multipart/{uploadId}/complete complete-multipart-upload',
      'post /api/tasks/{id}/multipart/{uploadId}/parts sign-upload-parts',
      'post /api/tasks/{id}/retry retry-task',
    ]);
  });
});

describe('operations', () => {
  it('migrate applies nothing on an up-to-date database', async () => {
    expect(await migrate({}, testContext('migrate'))).toEqual({
      applied: [],
      current: migrations.at(-1)?.version,
      ahead: [],
    });
  });

  it('the sweeper queues again an upload the worker never recorded instead of expiring it', async () => {
    // Prepare: the upload reached the bucket during a database outage; its window has closed since.
    const caller = newCaller();
    const created = await createOk(caller);
    await upload(created);
    await databasePool().query(
      `UPDATE tasks SET upload_expires_at = now() - interval '1 second' WHERE id = $1`,
      [created.id],
    );

    const sent = queue.bodies.length;

    // Act
    const result = await runSweep({}, testContext('run-sweep'));

    // Assess: the worker records the upload when the message arrives; until then the task waits as it was.
    expect(result.recovered).toContain(created.id);
    expect(queuedKeys(sent)).toContain(created.upload.fields.key);
    expect(await getTaskRepository().findForOwner(created.id, caller.sub)).toMatchObject({
      status: 'awaiting_upload',
      failureReason: null,
    });
    // The send was recorded inside the VPC afterwards: the next runs leave the task alone while it is delivered.
    const { rows } = await databasePool().query<{ requeue_count: number }>(
      'SELECT requeue_count FROM tasks WHERE id = $1',
      [created.id],
    );
    expect(rows).toEqual([{ requeue_count: 1 }]);
    const sentBefore = queue.bodies.length;
    expect((await runSweep({}, testContext('run-sweep'))).recovered).not.toContain(created.id);
    expect(queuedKeys(sentBefore)).not.toContain(created.upload.fields.key);
  });

  it('expire-uploads fails tasks whose upload window closed, with a readable reason', async () => {
    // Prepare
    const caller = newCaller();
    const repository = getTaskRepository();
    await repository.ensureUser(caller);
    const abandoned = await createdTask(repository, {
      ownerId: caller.sub,
      fileName: 'never.mp4',
      contentType: 'video/mp4',
      declaredBytes: 10,
      uploadExpiresAt: new Date(Date.now() - 1000),
      keyNonce: randomUUID(),
    });
    const fresh = await createOk(caller);
    const before = await sweptCounts();

    // Act
    const result = await runSweep({}, testContext('run-sweep'));

    // Assess: other test files share the database, so the sweep may fail their tasks too; each one it
    // failed carries its reason, and so the counts must match the rows that gained a reason exactly.
    const after = await sweptCounts();
    // (recovered and purged are asserted by the tests that arrange them.)
    expect({ expired: result.expired, aborted: result.aborted, stalled: result.stalled }).toEqual({
      expired: expect.arrayContaining([abandoned.id]) as unknown,
      // Multipart uploads left by other test files are far younger than the 24 h window.
      aborted: 0,
      stalled: expect.any(Array) as unknown,
    });
    expect({
      expired: (result.expired as number[]).length,
      stalled: (result.stalled as number[]).length,
    }).toEqual({ expired: after.expired - before.expired, stalled: after.stalled - before.stalled });
    expect(await repository.findForOwner(abandoned.id, caller.sub)).toMatchObject({
      status: 'failed',
      failureReason: 'upload not received within 24 h',
      failureKind: 'no-upload',
    });
    expect(await repository.findForOwner(fresh.id, caller.sub)).toMatchObject({ status: 'awaiting_upload' });
  });
});
