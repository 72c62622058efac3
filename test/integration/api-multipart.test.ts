/**
 * The resumable (multipart) upload API against PostgreSQL and s3rver: part signing bounds, stored
 * parts, completion only of exactly the planned parts, abort on excess, cancel, re-upload, ownership.
 * s3rver checks no SigV4 signature (docs/local-stack.md): that a part URL binds its size is asserted
 * on the signature itself, as the POST policy's conditions are in api-tasks.test.ts.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { describe, expect, it, vi } from 'vitest';
import { HeadObjectCommand, UploadPartCommand } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { handler as createTask } from '#functions/api/create-task';
import { handler as deleteTask } from '#functions/api/delete-task';
import { handler as startUpload } from '#functions/api/start-multipart-upload';
import { handler as signParts } from '#functions/api/sign-upload-parts';
import { handler as listParts } from '#functions/api/list-upload-parts';
import { handler as completeUpload } from '#functions/api/complete-multipart-upload';
import { s3Client } from '#commons/clients';
import { getMultipartUploads, getObjectStore, getTaskRepository } from '#commons/composition-root';
import { securityHeaders } from '#commons/http';
import { logger } from '#commons/logger';
import { DEFAULT_PART_BYTES } from '#core/multipart';
import type { CreatedTaskResponse, MultipartUploadResponse, SignedPartsResponse } from '#core/schemas';
import type { Caller } from '#core/task';
import { invoke } from '#test/helpers/api-gateway';
import { type CheckOptions, INVALID_REQUEST } from '#test/helpers/contract';
import { anyString } from '#test/helpers/matchers';

const BUCKET = process.env.BUCKET_NAME ?? '';
/** Two parts: one full default part and a 10-byte remainder. */
const SIZE = DEFAULT_PART_BYTES + 10;
const TRACE = 'Root=1-6745a1b2-0123456789abcdef01234567;Parent=53995c3f42cd8ad8;Sampled=1';

function newCaller(): Caller {
  return { sub: randomUUID(), username: `pilot_${randomUUID().slice(0, 8)}` };
}

async function createdTask(caller: Caller, size = SIZE): Promise<CreatedTaskResponse> {
  const response = await invoke(createTask, {
    method: 'POST',
    route: '/api/tasks',
    body: { fileName: 'race.mp4', contentType: 'video/mp4', size },
    caller,
  });
  expect(response.statusCode).toBe(201);
  return response.body as CreatedTaskResponse;
}

function start(caller: Caller, id: number) {
  return invoke(startUpload, {
    method: 'POST',
    route: '/api/tasks/{id}/multipart',
    pathParameters: { id: String(id) },
    caller,
  });
}

async function started(caller: Caller, size = SIZE) {
  const task = await createdTask(caller, size);
  const response = await start(caller, task.id);
  expect(response.statusCode).toBe(201);
  return { task, key: task.upload.fields.key ?? '', upload: response.body as MultipartUploadResponse };
}

function sign(caller: Caller, id: number, uploadId: string, partNumbers: unknown, options?: CheckOptions) {
  return invoke(
    signParts,
    {
      method: 'POST',
      route: '/api/tasks/{id}/multipart/{uploadId}/parts',
      pathParameters: { id: String(id), uploadId },
      body: { partNumbers },
      caller,
    },
    options,
  );
}

function list(caller: Caller, id: number, uploadId: string, options?: CheckOptions) {
  return invoke(
    listParts,
    {
      method: 'GET',
      route: '/api/tasks/{id}/multipart/{uploadId}/parts',
      pathParameters: { id: String(id), uploadId },
      caller,
    },
    options,
  );
}

function complete(caller: Caller, id: number, uploadId: string) {
  return invoke(completeUpload, {
    method: 'POST',
    route: '/api/tasks/{id}/multipart/{uploadId}/complete',
    pathParameters: { id: String(id), uploadId },
    caller,
  });
}

/** Signs the parts and PUTs `bodies[n-1]` to part n, as the console does. */
async function putParts(caller: Caller, id: number, uploadId: string, bodies: Buffer[]): Promise<void> {
  const signed = (
    await sign(
      caller,
      id,
      uploadId,
      bodies.map((_body, index) => index + 1),
    )
  ).body as SignedPartsResponse;
  for (const [index, body] of bodies.entries()) {
    const response = await fetch(signed.parts[index]?.url ?? '', {
      method: 'PUT',
      body: new Uint8Array(body),
    });
    expect(response.status).toBe(200);
    expect(response.headers.get('etag')).toMatch(/^"[0-9a-f]{32}"$/);
  }
}

async function pendingUploadIds(key: string): Promise<string[]> {
  return (await getMultipartUploads().listMultipartUploads(key)).map((upload) => upload.uploadId);
}

describe('POST /api/tasks/{id}/multipart', () => {
  it('starts a multipart upload planned in fixed-size parts for the declared size', async () => {
    // Prepare
    const caller = newCaller();
    const task = await createdTask(caller);

    // Act
    const response = await start(caller, task.id);

    // Assess
    expect(response).toEqual({
      statusCode: 201,
      headers: securityHeaders,
      body: { uploadId: anyString, partBytes: DEFAULT_PART_BYTES, partCount: 2, maxBytes: SIZE },
    });
    const { uploadId } = response.body as MultipartUploadResponse;
    expect(await pendingUploadIds(task.upload.fields.key ?? '')).toEqual([uploadId]);
  });

  it('gives a task awaiting its upload a fresh upload and aborts the unfinished one', async () => {
    // Prepare
    const caller = newCaller();
    const { task, key, upload } = await started(caller);

    // Act
    const fresh = (await start(caller, task.id)).body as MultipartUploadResponse;

    // Assess
    expect(fresh.uploadId).not.toBe(upload.uploadId);
    expect(await pendingUploadIds(key)).toEqual([fresh.uploadId]);
    expect(await list(caller, task.id, upload.uploadId)).toEqual({
      statusCode: 404,
      headers: securityHeaders,
      body: { message: 'Upload not found; it was cancelled or has expired' },
    });
  });
});

describe('POST /api/tasks/{id}/multipart/{uploadId}/parts', () => {
  it('signs each part for its exact Content-Length, to this key and upload only, for 15 minutes', async () => {
    // Prepare
    const caller = newCaller();
    const { task, key, upload } = await started(caller);

    // Act
    const response = await sign(caller, task.id, upload.uploadId, [1, 2]);

    // Assess
    expect(response).toEqual({
      statusCode: 200,
      headers: securityHeaders,
      body: {
        parts: [
          { partNumber: 1, url: anyString, sizeBytes: DEFAULT_PART_BYTES },
          { partNumber: 2, url: anyString, sizeBytes: 10 },
        ],
        expiresAt: anyString,
      },
    });
    for (const part of (response.body as SignedPartsResponse).parts) {
      const url = new URL(part.url);
      expect(url.origin + url.pathname).toBe(`${process.env.S3_ENDPOINT}/${BUCKET}/${key}`);
      expect(Object.fromEntries(url.searchParams)).toEqual({
        'X-Amz-Algorithm': 'AWS4-HMAC-SHA256',
        'X-Amz-Content-Sha256': 'UNSIGNED-PAYLOAD',
        'X-Amz-Credential': anyString,
        'X-Amz-Date': anyString,
        'X-Amz-Expires': '900',
        'X-Amz-Signature': anyString,
        'X-Amz-SignedHeaders': 'content-length;host',
        partNumber: String(part.partNumber),
        uploadId: upload.uploadId,
        'x-id': 'UploadPart',
      });
      // The signature is the one for exactly this size and no other: S3 refuses a part of any other length.
      const signingDate = parseAmzDate(url.searchParams.get('X-Amz-Date') ?? '');
      const resign = (contentLength: number) =>
        signatureOf(key, upload.uploadId, part.partNumber, contentLength, signingDate);
      expect(await resign(part.sizeBytes)).toBe(url.searchParams.get('X-Amz-Signature'));
      expect(await resign(part.sizeBytes + 1)).not.toBe(url.searchParams.get('X-Amz-Signature'));
    }
  });

  it('refuses part numbers beyond the plan, none, too many, and non-integers', async () => {
    // Prepare
    const caller = newCaller();
    const { task, upload } = await started(caller);

    // Act
    const beyond = await sign(caller, task.id, upload.uploadId, [3]);
    // Only a part beyond this upload's plan is within the document; the others break its rules on purpose.
    const none = await sign(caller, task.id, upload.uploadId, [], INVALID_REQUEST);
    const many = await sign(
      caller,
      task.id,
      upload.uploadId,
      Array.from({ length: 101 }, (_v, i) => i + 1),
      INVALID_REQUEST,
    );
    const fraction = await sign(caller, task.id, upload.uploadId, [1.5], INVALID_REQUEST);

    // Assess
    expect(beyond).toEqual({
      statusCode: 400,
      headers: securityHeaders,
      body: {
        message: 'Invalid request',
        errors: [{ field: 'partNumbers', message: 'This upload has parts 1 to 2' }],
      },
    });
    expect(none.body).toEqual({
      message: 'Invalid request',
      errors: [{ field: 'partNumbers', message: 'Must list at least one part' }],
    });
    expect(many.body).toEqual({
      message: 'Invalid request',
      errors: [{ field: 'partNumbers', message: 'Must list at most 100 parts' }],
    });
    expect(fraction.statusCode).toBe(400);
  });
});

describe('POST /api/tasks/{id}/multipart/{uploadId}/complete', () => {
  it('completes from the stored parts into one object of the declared size and content type', async () => {
    // Prepare
    const caller = newCaller();
    const { task, key, upload } = await started(caller);
    const content = randomBytes(SIZE);
    await putParts(caller, task.id, upload.uploadId, [
      content.subarray(0, DEFAULT_PART_BYTES),
      content.subarray(DEFAULT_PART_BYTES),
    ]);
    const stored = await list(caller, task.id, upload.uploadId);

    // Act
    const response = await complete(caller, task.id, upload.uploadId);

    // Assess
    expect(stored).toEqual({
      statusCode: 200,
      headers: securityHeaders,
      body: {
        parts: [
          { partNumber: 1, sizeBytes: DEFAULT_PART_BYTES, etag: anyString },
          { partNumber: 2, sizeBytes: 10, etag: anyString },
        ],
      },
    });
    expect(response).toEqual({
      statusCode: 200,
      headers: securityHeaders,
      body: {
        id: task.id,
        fileName: 'race.mp4',
        title: 'race',
        status: 'awaiting_upload',
        createdAt: task.createdAt,
        updatedAt: task.updatedAt,
        public: true,
        votes: 0,
        clip: { startSeconds: 0 },
        posterSeconds: 0,
        revision: 1,
      },
    });
    const head = await s3Client().send(new HeadObjectCommand({ Bucket: BUCKET, Key: key }));
    expect({ size: head.ContentLength, type: head.ContentType }).toEqual({ size: SIZE, type: 'video/mp4' });
    expect(await pendingUploadIds(key)).toEqual([]);
  });

  it('completes once: the same completion again and a new session answer 409 before the worker records the upload', async () => {
    // Prepare: a completed upload whose notification the worker has not handled (the task still awaits it)
    const caller = newCaller();
    const { task, key, upload } = await started(caller);
    await putParts(caller, task.id, upload.uploadId, [
      randomBytes(DEFAULT_PART_BYTES),
      randomBytes(SIZE - DEFAULT_PART_BYTES),
    ]);
    expect((await complete(caller, task.id, upload.uploadId)).statusCode).toBe(200);
    const { VersionId } = await s3Client().send(new HeadObjectCommand({ Bucket: BUCKET, Key: key }));

    // Act
    const again = await complete(caller, task.id, upload.uploadId);
    const restarted = await start(caller, task.id);

    // Assess
    const refused = {
      statusCode: 409,
      headers: securityHeaders,
      body: { message: 'This video has already been uploaded' },
    };
    expect([again, restarted]).toEqual([refused, refused]);
    expect(await getTaskRepository().findById(task.id)).toMatchObject({
      status: 'awaiting_upload',
      originalVersionId: VersionId,
    });
    expect(await pendingUploadIds(key)).toEqual([]);
  });

  it('keeps the trace header of the request that started the upload in the object it completes', async () => {
    // Prepare: the start request runs in a trace (Lambda's _X_AMZN_TRACE_ID, with the fields Lambda adds)
    const caller = newCaller();
    vi.stubEnv('_X_AMZN_TRACE_ID', `${TRACE};Lineage=a87bd80c:1`);
    const info = vi.spyOn(logger, 'info');
    const { task, key, upload } = await started(caller).finally(() => vi.unstubAllEnvs());
    // The start's line opens the task's story with the trace the object keeps.
    expect(info).toHaveBeenCalledWith('Multipart upload started', {
      taskId: task.id,
      traceId: '1-6745a1b2-0123456789abcdef01234567',
    });
    info.mockRestore();
    await putParts(caller, task.id, upload.uploadId, [randomBytes(DEFAULT_PART_BYTES), randomBytes(10)]);

    // Act
    const response = await complete(caller, task.id, upload.uploadId);

    // Assess
    expect(response.statusCode).toBe(200);
    expect(await getObjectStore().stat(key)).toEqual({
      sizeBytes: SIZE,
      eTag: anyString,
      traceHeader: TRACE,
      versionId: anyString,
    });
  });

  it('refuses to complete with a part missing, and keeps the upload to resume', async () => {
    // Prepare
    const caller = newCaller();
    const { task, key, upload } = await started(caller);
    await putParts(caller, task.id, upload.uploadId, [randomBytes(DEFAULT_PART_BYTES)]);

    // Act
    const response = await complete(caller, task.id, upload.uploadId);

    // Assess
    expect(response).toEqual({
      statusCode: 409,
      headers: securityHeaders,
      body: {
        message: 'The upload is not complete',
        errors: [{ field: 'parts', message: 'Parts still to upload: 2' }],
      },
    });
    expect(await pendingUploadIds(key)).toEqual([upload.uploadId]);
  });

  it('aborts an upload whose parts hold more than the declared size instead of completing it', async () => {
    // Prepare: s3rver accepts a part of another size than signed (S3 would refuse it).
    const caller = newCaller();
    const { task, key, upload } = await started(caller);
    await putParts(caller, task.id, upload.uploadId, [randomBytes(DEFAULT_PART_BYTES), randomBytes(11)]);

    // Act
    const response = await complete(caller, task.id, upload.uploadId);

    // Assess
    expect(response).toEqual({
      statusCode: 413,
      headers: securityHeaders,
      body: {
        message: `The upload held more than the ${SIZE} bytes declared; it was cancelled, please upload again`,
      },
    });
    expect(await pendingUploadIds(key)).toEqual([]);
    expect(await getObjectStore().stat(key)).toBeNull();
  });
});

describe('ownership and cancel', () => {
  it('answers 404 to every multipart step on another pilot task, and changes nothing', async () => {
    // Prepare
    const owner = newCaller();
    const intruder = newCaller();
    const { task, key, upload } = await started(owner);

    // Act
    const responses = [
      await start(intruder, task.id),
      await sign(intruder, task.id, upload.uploadId, [1]),
      await list(intruder, task.id, upload.uploadId),
      await complete(intruder, task.id, upload.uploadId),
    ];

    // Assess
    for (const response of responses) {
      expect(response).toEqual({
        statusCode: 404,
        headers: securityHeaders,
        body: { message: 'Video not found' },
      });
    }
    expect(await pendingUploadIds(key)).toEqual([upload.uploadId]);
  });

  it('cancels by deleting the task: the unfinished upload is aborted and no object is left', async () => {
    // Prepare
    const caller = newCaller();
    const { task, key, upload } = await started(caller);
    await putParts(caller, task.id, upload.uploadId, [randomBytes(DEFAULT_PART_BYTES)]);

    // Act
    const response = await invoke(deleteTask, {
      method: 'DELETE',
      route: '/api/tasks/{id}',
      pathParameters: { id: String(task.id) },
      caller,
    });

    // Assess
    expect(response.statusCode).toBe(204);
    expect(await pendingUploadIds(key)).toEqual([]);
    expect(await getObjectStore().stat(key)).toBeNull();
  });

  it('refuses a malformed upload id before touching anything', async () => {
    // Prepare
    const caller = newCaller();
    const { task } = await started(caller);

    // Act
    const response = await list(caller, task.id, '../../etc', INVALID_REQUEST);

    // Assess
    expect(response).toEqual({
      statusCode: 400,
      headers: securityHeaders,
      body: {
        message: 'Invalid upload',
        errors: [{ field: 'uploadId', message: 'Must be an upload id from this API' }],
      },
    });
  });
});

function parseAmzDate(value: string): Date {
  const match = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(value);
  if (!match) throw new Error(`Not an X-Amz-Date: ${value}`);
  const [, year, month, day, hour, minute, second] = match;
  return new Date(`${year}-${month}-${day}T${hour}:${minute}:${second}Z`);
}

async function signatureOf(
  key: string,
  uploadId: string,
  partNumber: number,
  contentLength: number,
  signingDate: Date,
): Promise<string | null> {
  const url = await getSignedUrl(
    s3Client(),
    new UploadPartCommand({
      Bucket: BUCKET,
      Key: key,
      UploadId: uploadId,
      PartNumber: partNumber,
      ContentLength: contentLength,
    }),
    { expiresIn: 900, signableHeaders: new Set(['content-length']), signingDate },
  );
  return new URL(url).searchParams.get('X-Amz-Signature');
}
