import { mkdir, mkdtemp, readdir, rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import { Readable } from 'node:stream';
import S3rver from '@20minutes/s3rver';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListMultipartUploadsCommand,
  ListPartsCommand,
  PutObjectCommand,
  S3Client,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { createPresignedPost } from '@aws-sdk/s3-presigned-post';
import type { S3Event } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '#infra/local/services/preflight';
import { S3RVER_CREDENTIALS, type S3Service, startS3, storeWholeObjectsOnly } from '#infra/local/services/s3';

const bucket = 'notify-test';
let stateDir: string;
let s3: S3Service;
let client: S3Client;
/** What the test wants the queue to do with the next notification. */
let deliver: (notification: S3Event) => Promise<void>;

beforeAll(async () => {
  stateDir = await mkdtemp(join(tmpdir(), 'idrl-s3-'));
  s3 = await startS3({
    port: await freePort(),
    stateDir,
    bucket,
    region: 'eu-west-1',
    corsOrigins: ['http://localhost:3000'],
    notificationPrefixes: ['uploads/'],
    onObjectCreated: (notification) => deliver(notification),
  });
  client = new S3Client({
    endpoint: s3.endpoint,
    forcePathStyle: true,
    region: 'eu-west-1',
    credentials: S3RVER_CREDENTIALS,
  });
});

afterAll(async () => {
  client.destroy();
  await s3.stop();
  await rm(stateDir, { recursive: true, force: true });
});

/** A browser-style presigned POST: the policy fields first, the file last. */
async function postObject(key: string, content: string): Promise<Response> {
  const { url, fields } = await createPresignedPost(client, { Bucket: bucket, Key: key, Expires: 60 });
  const form = new FormData();
  for (const [name, value] of Object.entries(fields)) form.append(name, value);
  form.append('file', new Blob([content], { type: 'video/mp4' }), 'race.mp4');
  return fetch(url, { method: 'POST', body: form });
}

describe('s3rver with in-process notifications', () => {
  it('answers an upload only after its notification, shaped as S3 sends it to SQS, was delivered', async () => {
    // Prepare
    const events: string[] = [];
    const notifications: S3Event[] = [];
    deliver = async (notification) => {
      notifications.push(notification);
      await new Promise((resolve) => setTimeout(resolve, 200));
      events.push('queued');
    };

    // Act
    const response = await postObject('uploads/7/a b', 'not really a video');
    events.push('answered');

    // Assess
    expect(response.status).toBe(204);
    expect(response.headers.get('x-amz-version-id')).toMatch(/^[A-Za-z0-9_-]{32}$/);
    expect(events).toEqual(['queued', 'answered']);
    expect(notifications).toEqual([
      {
        Records: [
          {
            eventVersion: '2.1',
            eventSource: 'aws:s3',
            awsRegion: 'eu-west-1',
            eventTime: expect.any(String) as string,
            eventName: 'ObjectCreated:Post',
            userIdentity: { principalId: expect.any(String) as string },
            requestParameters: { sourceIPAddress: expect.any(String) as string },
            responseElements: {
              'x-amz-request-id': expect.any(String) as string,
              'x-amz-id-2': expect.any(String) as string,
            },
            s3: {
              s3SchemaVersion: '1.0',
              configurationId: 'uploads',
              bucket: {
                name: bucket,
                ownerIdentity: { principalId: expect.any(String) as string },
                arn: `arn:aws:s3:::${bucket}`,
              },
              object: {
                key: 'uploads/7/a+b',
                size: 18,
                eTag: expect.stringMatching(/^[0-9a-f]{32}$/) as string,
                versionId: response.headers.get('x-amz-version-id'),
                sequencer: expect.any(String) as string,
              },
            },
          },
        ],
      },
    ]);
  });

  it('sends no notification for keys outside the uploads prefix', async () => {
    // Prepare
    const notifications: S3Event[] = [];
    deliver = (notification) => {
      notifications.push(notification);
      return Promise.resolve();
    };

    // Act
    const response = await postObject('processed/7/video.mp4', 'output');

    // Assess
    expect(response.status).toBe(204);
    expect(notifications).toEqual([]);
  });

  it('answers 500 when the notification cannot be queued, keeping the stored object for reconciliation', async () => {
    // Prepare
    deliver = () => Promise.reject(new Error('queue unavailable'));

    // Act
    const response = await postObject('uploads/8/nonce', 'video bytes');

    // Assess
    expect(response.status).toBe(500);
    const head = await client.send(new HeadObjectCommand({ Bucket: bucket, Key: 'uploads/8/nonce' }));
    expect(head.ContentLength).toBe(11);
  });

  it('lets the console origin, and no other, post uploads from a browser (CORS preflight)', async () => {
    // Prepare
    const preflight = (origin: string): Promise<Response> =>
      fetch(`${s3.endpoint}/${bucket}`, {
        method: 'OPTIONS',
        headers: { origin, 'access-control-request-method': 'POST' },
      });

    // Act
    const allowed = await preflight('http://localhost:3000');
    const refused = await preflight('http://elsewhere.example');

    // Assess: s3rver answers an accepted preflight with '*' where S3 echoes the origin
    expect([
      allowed.status,
      allowed.headers.get('access-control-allow-origin'),
      allowed.headers.get('access-control-allow-methods'),
    ]).toEqual([200, '*', 'POST, PUT, GET']);
    expect(refused.status).toBe(403);
  });

  it('bridges ListParts, ListMultipartUploads and Abort, and names a completion as S3 does', async () => {
    // Prepare
    const notifications: S3Event[] = [];
    deliver = (notification) => {
      notifications.push(notification);
      return Promise.resolve();
    };
    const Key = 'uploads/9/multi';
    const { UploadId } = await client.send(
      new CreateMultipartUploadCommand({ Bucket: bucket, Key, ContentType: 'video/mp4' }),
    );
    const part = await client.send(
      new UploadPartCommand({ Bucket: bucket, Key, UploadId, PartNumber: 1, Body: 'first part' }),
    );
    const other = await client.send(
      new CreateMultipartUploadCommand({ Bucket: bucket, Key: 'uploads/10/x' }),
    );

    // Act
    const listed = await client.send(new ListPartsCommand({ Bucket: bucket, Key, UploadId }));
    const pending = await client.send(
      new ListMultipartUploadsCommand({ Bucket: bucket, Prefix: 'uploads/' }),
    );
    // Settled at once: an unobserved rejection would fail the run before the assertion sees it.
    const wrongKey = await client
      .send(new ListPartsCommand({ Bucket: bucket, Key: 'uploads/10/x', UploadId }))
      .then(
        () => 'listed',
        (error: unknown) => error,
      );
    await client.send(
      new AbortMultipartUploadCommand({ Bucket: bucket, Key: 'uploads/10/x', UploadId: other.UploadId }),
    );
    const afterAbort = await client.send(
      new ListMultipartUploadsCommand({ Bucket: bucket, Prefix: 'uploads/' }),
    );
    await client.send(
      new CompleteMultipartUploadCommand({
        Bucket: bucket,
        Key,
        UploadId,
        MultipartUpload: { Parts: [{ PartNumber: 1, ETag: part.ETag }] },
      }),
    );

    // Assess
    expect(listed.Parts?.map(({ PartNumber, Size, ETag }) => ({ PartNumber, Size, ETag }))).toEqual([
      { PartNumber: 1, Size: 10, ETag: part.ETag },
    ]);
    expect(
      pending.Uploads?.map((upload) => [upload.Key, upload.UploadId, upload.Initiated instanceof Date]),
    ).toEqual([
      ['uploads/10/x', other.UploadId, true],
      [Key, UploadId, true],
    ]);
    expect(wrongKey).toMatchObject({ name: 'NoSuchUpload' });
    expect(afterAbort.Uploads?.map((upload) => upload.UploadId)).toEqual([UploadId]);
    expect(notifications.map((notification) => notification.Records[0]?.eventName)).toEqual([
      'ObjectCreated:CompleteMultipartUpload',
    ]);
    const head = await client.send(new HeadObjectCommand({ Bucket: bucket, Key }));
    expect({ size: head.ContentLength, type: head.ContentType }).toEqual({ size: 10, type: 'video/mp4' });
  });
});

/** The notifications delivered from now on. */
function collectNotifications(): S3Event[] {
  const notifications: S3Event[] = [];
  deliver = (notification) => {
    notifications.push(notification);
    return Promise.resolve();
  };
  return notifications;
}

async function read(Key: string, VersionId?: string, Range?: string): Promise<string> {
  const object = await client.send(new GetObjectCommand({ Bucket: bucket, Key, VersionId, Range }));
  return (await object.Body?.transformToString()) ?? '';
}

/** What the SDK threw (its error name and HTTP status), or 'ok'. */
async function refusal(send: Promise<unknown>): Promise<unknown> {
  return send.then(
    () => 'ok',
    (error: unknown) => {
      const { name, $metadata } = error as { name: string; $metadata: { httpStatusCode?: number } };
      return { name, status: $metadata.httpStatusCode };
    },
  );
}

describe('s3rver with the bucket versioning bridge (as the versioned bucket on AWS)', () => {
  it('names the version each write stored in its answer, its notification and the current object', async () => {
    // Prepare
    const notifications = collectNotifications();
    const Key = 'uploads/20/versions';

    // Act: a POST, a PUT and a multipart completion to the same key
    const posted = await postObject(Key, 'first');
    const put = await client.send(new PutObjectCommand({ Bucket: bucket, Key, Body: 'second' }));
    const { UploadId } = await client.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key }));
    const part = await client.send(
      new UploadPartCommand({ Bucket: bucket, Key, UploadId, PartNumber: 1, Body: 'third' }),
    );
    const completed = await client.send(
      new CompleteMultipartUploadCommand({
        Bucket: bucket,
        Key,
        UploadId,
        MultipartUpload: { Parts: [{ PartNumber: 1, ETag: part.ETag }] },
      }),
    );
    const head = await client.send(new HeadObjectCommand({ Bucket: bucket, Key }));

    // Assess
    const ids = [posted.headers.get('x-amz-version-id'), put.VersionId, completed.VersionId];
    expect(new Set(ids).size).toBe(3);
    for (const id of ids) expect(id).toMatch(/^[A-Za-z0-9_-]{32}$/);
    expect(notifications.map((notification) => notification.Records[0]?.s3.object.versionId)).toEqual(ids);
    expect(head.VersionId).toBe(completed.VersionId);
  });

  it('reads every version by its id, whole and by range, while the key holds the newest', async () => {
    // Prepare
    collectNotifications();
    const Key = 'uploads/21/versions';
    const first = await client.send(new PutObjectCommand({ Bucket: bucket, Key, Body: 'first file' }));
    const second = await client.send(new PutObjectCommand({ Bucket: bucket, Key, Body: 'second file!' }));

    // Act
    const current = await read(Key);
    const firstWhole = await read(Key, first.VersionId);
    const firstRange = await read(Key, first.VersionId, 'bytes=6-9');
    const firstHead = await client.send(
      new HeadObjectCommand({ Bucket: bucket, Key, VersionId: first.VersionId }),
    );

    // Assess
    expect([current, firstWhole, firstRange]).toEqual(['second file!', 'first file', 'file']);
    expect({ size: firstHead.ContentLength, version: firstHead.VersionId, eTag: firstHead.ETag }).toEqual({
      size: 10,
      version: first.VersionId,
      eTag: first.ETag,
    });
    expect(second.ETag).not.toBe(first.ETag);
  });

  it('deletes a version for good; the newest remaining one becomes current, as S3 does', async () => {
    // Prepare
    collectNotifications();
    const Key = 'uploads/22/versions';
    const first = await client.send(new PutObjectCommand({ Bucket: bucket, Key, Body: 'first' }));
    const second = await client.send(new PutObjectCommand({ Bucket: bucket, Key, Body: 'second' }));
    const VersionId = second.VersionId;

    // Act
    const deleted = await client.send(new DeleteObjectCommand({ Bucket: bucket, Key, VersionId }));
    const again = await client.send(new DeleteObjectCommand({ Bucket: bucket, Key, VersionId }));

    // Assess
    expect([deleted.VersionId, again.VersionId]).toEqual([VersionId, VersionId]);
    expect(await read(Key)).toBe('first');
    expect((await client.send(new HeadObjectCommand({ Bucket: bucket, Key }))).VersionId).toBe(
      first.VersionId,
    );
    expect(await refusal(read(Key, VersionId))).toEqual({ name: 'NoSuchVersion', status: 404 });
    expect(await refusal(client.send(new HeadObjectCommand({ Bucket: bucket, Key, VersionId })))).toEqual({
      name: 'NotFound',
      status: 404,
    });
  });

  it('keeps the versions of a deleted key readable, and refuses a malformed version id', async () => {
    // Prepare
    collectNotifications();
    const Key = 'uploads/23/versions';
    const first = await client.send(new PutObjectCommand({ Bucket: bucket, Key, Body: 'kept' }));

    // Act
    await client.send(new DeleteObjectCommand({ Bucket: bucket, Key }));

    // Assess
    expect(await refusal(read(Key))).toEqual({ name: 'NoSuchKey', status: 404 });
    expect(await read(Key, first.VersionId)).toBe('kept');
    expect(await refusal(read(Key, 'not-a-version'))).toEqual({ name: 'InvalidArgument', status: 400 });
  });

  it("deletes a deleted key's last version for good, and answers a repeat 204 (a task's delete, repeated)", async () => {
    // Prepare: the key deleted first, as a task's delete does, so only the version remains
    collectNotifications();
    const Key = 'uploads/24/versions';
    const { VersionId } = await client.send(new PutObjectCommand({ Bucket: bucket, Key, Body: 'gone' }));
    await client.send(new DeleteObjectCommand({ Bucket: bucket, Key }));

    // Act
    const deleted = await client.send(new DeleteObjectCommand({ Bucket: bucket, Key, VersionId }));
    const again = await client.send(new DeleteObjectCommand({ Bucket: bucket, Key, VersionId }));

    // Assess
    expect([deleted.VersionId, again.VersionId]).toEqual([VersionId, VersionId]);
    expect(await refusal(read(Key, VersionId))).toEqual({ name: 'NoSuchVersion', status: 404 });
    expect(await refusal(read(Key))).toEqual({ name: 'NoSuchKey', status: 404 });
  });
});

describe('the store under s3rver', () => {
  it('keeps no object, whole or partial, from an upload whose body breaks off', async () => {
    // Prepare: s3rver's own filesystem store, as startS3 wraps it.
    const directory = await mkdtemp(join(tmpdir(), 'idrl-s3-store-'));
    const { store } = new S3rver({ directory, silent: true });
    storeWholeObjectsOnly(store);
    const objectPath = store.getResourcePath(bucket, 'uploads/1/race.mp4', 'object');
    // s3rver's putObject makes the key's folder before it writes the content.
    await mkdir(dirname(objectPath), { recursive: true });
    const brokenOff = new Readable({
      read() {
        this.push(Buffer.alloc(64 * 1024, 1));
        this.destroy(new Error('client went away'));
      },
    });

    // Act
    const stored = store.putContent(objectPath, brokenOff);

    // Assess
    await expect(stored).rejects.toThrow('client went away');
    expect(await readdir(dirname(objectPath))).toEqual([]);
    await rm(directory, { recursive: true, force: true });
  });
});
