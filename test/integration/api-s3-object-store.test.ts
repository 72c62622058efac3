import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buffer } from 'node:stream/consumers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  contentDisposition,
  DOWNLOAD_SIGNING_WINDOW_SECONDS,
  S3ObjectStore,
} from '#adapters/s3/object-store';
import { s3Client } from '#commons/clients';
import { storageConfig } from '#commons/config';
import { ObjectChangedError } from '#core/processing-errors';
import { getObjectStore } from '#commons/composition-root';
import { FixedClock } from '#test/unit/fakes/fixed-clock';
import { postUpload } from '#test/support/http-client';

/** S3's version ids, and the local bridge's (docs/local-stack.md): 32 URL-safe characters. */
const VERSION_ID = expect.stringMatching(/^[A-Za-z0-9_.-]{32}$/) as string;

describe('S3ObjectStore', () => {
  const store = getObjectStore();
  let directory: string;

  beforeAll(async () => {
    directory = await mkdtemp(join(tmpdir(), 'idrl-s3-'));
  });

  afterAll(async () => {
    await rm(directory, { recursive: true, force: true });
  });

  it('streams a file up and back down byte for byte', async () => {
    // Prepare
    const key = `processed/${randomUUID()}/video.mp4`;
    const content = randomBytes(3 * 1024 * 1024 + 17);
    await writeFile(join(directory, 'up.bin'), content);

    // Act
    await store.putFile({ key, path: join(directory, 'up.bin'), contentType: 'video/mp4' });
    const whole = await store.readRange(key);

    // Assess
    expect({ ...whole, body: undefined }).toEqual({
      body: undefined,
      contentLength: content.length,
      contentRange: undefined,
      totalBytes: content.length,
    });
    // Buffer.equals: a deep toEqual walks 3 MB byte by byte for seconds.
    expect((await buffer(whole.body)).equals(content)).toBe(true);
    expect(await store.stat(key)).toEqual({
      sizeBytes: content.length,
      eTag: `"${createHash('md5').update(content).digest('hex')}"`,
      versionId: VERSION_ID,
    });
  });

  it('reads a closed range and an open-ended range of an object', async () => {
    // Prepare
    const key = `uploads/${randomUUID()}/n`;
    const content = randomBytes(100_000);
    await writeFile(join(directory, 'ranged.bin'), content);
    await store.putFile({ key, path: join(directory, 'ranged.bin'), contentType: 'video/mp4' });

    // Act
    const middle = await store.readRange(key, { start: 1_000, end: 1_999 });
    const tail = await store.readRange(key, { start: 99_990 });

    // Assess
    expect({ ...middle, body: undefined }).toEqual({
      body: undefined,
      contentLength: 1_000,
      contentRange: 'bytes 1000-1999/100000',
      totalBytes: 100_000,
    });
    expect((await buffer(middle.body)).equals(content.subarray(1_000, 2_000))).toBe(true);
    expect({ ...tail, body: undefined }).toEqual({
      body: undefined,
      contentLength: 10,
      contentRange: 'bytes 99990-99999/100000',
      totalBytes: 100_000,
    });
    expect((await buffer(tail.body)).equals(content.subarray(99_990))).toBe(true);
  });

  it('reads a pinned version, and refuses once the object was replaced', async () => {
    // Prepare
    const key = `uploads/${randomUUID()}/n`;
    await writeFile(join(directory, 'first'), 'first version');
    await writeFile(join(directory, 'second'), 'second version, longer');
    await store.putFile({ key, path: join(directory, 'first'), contentType: 'video/mp4' });
    const pinned = await store.stat(key);

    // Act
    const read = await store.readRange(key, { start: 0, end: 4 }, { ifMatch: pinned?.eTag });
    const firstBytes = (await buffer(read.body)).toString();
    await store.putFile({ key, path: join(directory, 'second'), contentType: 'video/mp4' });
    const stale = store.readRange(key, { start: 0, end: 4 }, { ifMatch: pinned?.eTag });

    // Assess
    expect(firstBytes).toBe('first');
    await expect(stale).rejects.toThrow(ObjectChangedError);
    expect((await store.stat(key))?.sizeBytes).toBe('second version, longer'.length);
  });

  it('reads, signs and deletes one version, whatever was stored under the key since', async () => {
    // Prepare
    const key = `uploads/${randomUUID()}/n`;
    await writeFile(join(directory, 'first'), 'first version');
    await writeFile(join(directory, 'second'), 'second version, longer');
    await store.putFile({ key, path: join(directory, 'first'), contentType: 'video/mp4' });
    const first = await store.stat(key);
    await store.putFile({ key, path: join(directory, 'second'), contentType: 'video/mp4' });
    const second = await store.stat(key);
    const firstId = first?.versionId ?? '';

    // Act
    const pinned = await store.stat(key, firstId);
    const read = await store.readRange(key, { start: 0, end: 4 }, { versionId: firstId });
    const firstBytes = (await buffer(read.body)).toString();
    const download = await fetch(
      await store.presignDownload({ key, versionId: firstId, expiresInSeconds: 60 }),
    );
    await store.deleteVersion(key, second?.versionId ?? '');
    await store.deleteVersion(key, second?.versionId ?? '');

    // Assess
    expect(pinned).toEqual({ ...first, versionId: firstId });
    expect(second?.versionId).not.toBe(firstId);
    expect(firstBytes).toBe('first');
    expect(await download.text()).toBe('first version');
    expect(await store.stat(key, second?.versionId)).toBeNull();
    expect(await store.stat(key)).toMatchObject({ sizeBytes: 'first version'.length, versionId: firstId });
  });

  it('stores an empty marker object', async () => {
    // Prepare
    const key = `requeue/${randomUUID()}/n`;

    // Act
    await store.putEmpty(key);

    // Assess
    expect(await store.stat(key)).toEqual({
      sizeBytes: 0,
      eTag: '"d41d8cd98f00b204e9800998ecf8427e"',
      versionId: VERSION_ID,
    });
  });

  it('keeps the trace header of the request that presigned an upload, pinned by the POST policy', async () => {
    // Prepare: the presigning function's trace (Lambda's _X_AMZN_TRACE_ID)
    const trace = 'Root=1-6745a1b2-0123456789abcdef01234567;Parent=53995c3f42cd8ad8;Sampled=1';
    const traced = new S3ObjectStore(s3Client(), storageConfig().bucket, new FixedClock(), () => trace);
    const key = `uploads/${randomUUID()}/n`;
    await writeFile(join(directory, 'traced.mp4'), 'a video');

    // Act
    const upload = await traced.presignUpload({
      key,
      contentType: 'video/mp4',
      maxBytes: 100,
      expiresInSeconds: 60,
    });
    const posted = await postUpload(upload, join(directory, 'traced.mp4'), 'video/mp4');

    // Assess: the field is in the form and pinned by the policy; the object keeps it
    expect(posted.status).toBe(204);
    expect(upload.fields['x-amz-meta-trace-id']).toBe(trace);
    const policy = JSON.parse(Buffer.from(upload.fields.Policy ?? '', 'base64').toString('utf8')) as {
      conditions: unknown[];
    };
    expect(policy.conditions).toContainEqual({ 'x-amz-meta-trace-id': trace });
    expect(await store.stat(key)).toEqual({
      sizeBytes: 7,
      eTag: expect.any(String) as string,
      traceHeader: trace,
      versionId: VERSION_ID,
    });
    // Without a trace (outside a traced invocation) there is no field at all.
    const untraced = await store.presignUpload({
      key,
      contentType: 'video/mp4',
      maxBytes: 100,
      expiresInSeconds: 60,
    });
    expect(Object.keys(untraced.fields)).not.toContain('x-amz-meta-trace-id');
  });

  it('reports a missing object as null', async () => {
    expect(await store.stat(`uploads/${randomUUID()}/missing`)).toBeNull();
  });

  it('deletes objects and tolerates keys that are already gone', async () => {
    // Prepare
    const key = `uploads/${randomUUID()}/n`;
    await writeFile(join(directory, 'small'), 'x');
    await store.putFile({ key, path: join(directory, 'small'), contentType: 'video/mp4' });

    // Act
    await store.deleteMany([key, key, `uploads/${randomUUID()}/never`]);
    await store.deleteMany([key]);

    // Assess
    expect(await store.stat(key)).toBeNull();
  });

  it('presigns a GET that stays valid as long as asked, names the download and works', async () => {
    // Prepare: a real object, and a store whose clock sits 150 s into a signing window
    const key = `processed/${randomUUID()}/video.mp4`;
    await writeFile(join(directory, 'named'), 'edit');
    await store.putFile({ key, path: join(directory, 'named'), contentType: 'video/mp4' });
    const windowMs = DOWNLOAD_SIGNING_WINDOW_SECONDS * 1000;
    const windowStart = Math.floor(Date.now() / windowMs) * windowMs;
    const clock = new FixedClock(new Date(windowStart + 150_000));
    const windowed = new S3ObjectStore(s3Client(), storageConfig().bucket, clock);

    // Act
    const url = new URL(
      await windowed.presignDownload({ key, expiresInSeconds: 300, downloadFileName: 'final "lap".mp4' }),
    );

    // Assess: signed at the window's start, for the request's 300 s plus the window, so it outlives
    // now + 300 s wherever in the window it was asked for
    expect(url.searchParams.get('X-Amz-Date')).toBe(amzDate(windowStart));
    expect(url.searchParams.get('X-Amz-Expires')).toBe(String(300 + DOWNLOAD_SIGNING_WINDOW_SECONDS));
    expect(url.searchParams.get('response-content-disposition')).toBe(contentDisposition('final "lap".mp4'));
    const response = await fetch(url);
    expect([response.status, response.headers.get('content-disposition'), await response.text()]).toEqual([
      200,
      contentDisposition('final "lap".mp4'),
      'edit',
    ]);
  });

  it('hands out one URL per key and window, and new ones in the next window', async () => {
    // Prepare
    const clock = new FixedClock(new Date('2026-03-01T12:02:00.000Z'));
    const windowed = new S3ObjectStore(s3Client(), storageConfig().bucket, clock);
    const sign = (key: string) => windowed.presignDownload({ key, expiresInSeconds: 3600 });

    // Act
    const first = await sign('processed/1/video.mp4');
    clock.advance(2 * 60_000 + 59_000); // 12:04:59, the window's last second
    const sameWindow = await sign('processed/1/video.mp4');
    const otherKey = await sign('processed/2/video.mp4');
    clock.advance(1000); // 12:05:00, the next window
    const nextWindow = await sign('processed/1/video.mp4');

    // Assess
    expect(sameWindow).toBe(first);
    expect(new URL(otherKey).pathname).toMatch(/\/processed\/2\/video\.mp4$/);
    expect(new URL(first).searchParams.get('X-Amz-Date')).toBe('20260301T120000Z');
    expect(new URL(nextWindow).searchParams.get('X-Amz-Date')).toBe('20260301T120500Z');
    expect(new URL(nextWindow).pathname).toBe(new URL(first).pathname);
  });
});

/** SigV4's X-Amz-Date form of an instant: 20260301T120000Z. */
function amzDate(ms: number): string {
  return new Date(ms).toISOString().replace(/[-:]|\.\d{3}/g, '');
}

describe('contentDisposition', () => {
  it.each([
    ['race.mp4', `attachment; filename="race.mp4"; filename*=UTF-8''race.mp4`],
    [
      'vuelo ñ 😀.mp4',
      `attachment; filename="vuelo _ __.mp4"; filename*=UTF-8''vuelo%20%C3%B1%20%F0%9F%98%80.mp4`,
    ],
    [
      `it's "quoted" (1).mp4`,
      `attachment; filename="it's _quoted_ (1).mp4"; filename*=UTF-8''it%27s%20%22quoted%22%20%281%29.mp4`,
    ],
  ])('encodes %j for every browser', (name, expected) => {
    expect(contentDisposition(name)).toBe(expected);
  });
});
