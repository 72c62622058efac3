import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buffer } from 'node:stream/consumers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { contentDisposition } from '#adapters/s3/object-store';
import { ObjectChangedError } from '#core/processing-errors';
import { getObjectStore } from '#commons/composition-root';

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

  it('stores an empty marker object', async () => {
    // Prepare
    const key = `requeue/${randomUUID()}/n`;

    // Act
    await store.putEmpty(key);

    // Assess
    expect(await store.stat(key)).toEqual({ sizeBytes: 0, eTag: '"d41d8cd98f00b204e9800998ecf8427e"' });
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

  it('presigns a GET that expires and names the download', async () => {
    // Act
    const url = new URL(
      await store.presignDownload({
        key: 'processed/1/video.mp4',
        expiresInSeconds: 300,
        downloadFileName: 'final "lap".mp4',
      }),
    );

    // Assess
    expect(url.searchParams.get('X-Amz-Expires')).toBe('300');
    expect(url.searchParams.get('response-content-disposition')).toBe(contentDisposition('final "lap".mp4'));
  });
});

describe('contentDisposition', () => {
  it.each([
    ['race.mp4', `inline; filename="race.mp4"; filename*=UTF-8''race.mp4`],
    [
      'vuelo ñ 😀.mp4',
      `inline; filename="vuelo _ __.mp4"; filename*=UTF-8''vuelo%20%C3%B1%20%F0%9F%98%80.mp4`,
    ],
    [
      `it's "quoted" (1).mp4`,
      `inline; filename="it's _quoted_ (1).mp4"; filename*=UTF-8''it%27s%20%22quoted%22%20%281%29.mp4`,
    ],
  ])('encodes %j for every browser', (name, expected) => {
    expect(contentDisposition(name)).toBe(expected);
  });
});
