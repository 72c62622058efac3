import { describe, expect, it } from 'vitest';
import { usernameOf, type ApiClient, type MultipartUpload, type SignedPart, type Task } from '#web/src/api';
import { uploadParts, type PutPart } from '#web/src/multipart';
import { StorageUploadError } from '#web/src/upload';
import { sameFile, UploadTracker } from '#web/src/uploads';
import { elapsedSince, uploadLabel } from '#web/src/views/status';
import { MemoryStorage } from './memory-storage';

const PLAN: MultipartUpload = { uploadId: 'up-1', partBytes: 10, partCount: 3, maxBytes: 25 };
const FILE = new File([new TextEncoder().encode('aaaaaaaaaabbbbbbbbbbccccc')], 'heat.mp4', {
  type: 'video/mp4',
  lastModified: 1_700_000_000_000,
});
const TASK = { id: 7, fileName: 'heat.mp4', status: 'awaiting_upload' } as Task;

/** The three API calls the uploader makes, over a store that already holds `stored` part numbers. */
function fakeApi(stored: number[]) {
  const calls: string[] = [];
  const api = {
    listParts(taskId: number, uploadId: string) {
      calls.push(`list ${taskId} ${uploadId}`);
      return Promise.resolve(stored.map((partNumber) => ({ partNumber, sizeBytes: 10 })));
    },
    signParts(taskId: number, uploadId: string, partNumbers: number[]): Promise<SignedPart[]> {
      calls.push(`sign ${taskId} ${uploadId} ${partNumbers.join(',')}`);
      return Promise.resolve(
        partNumbers.map((partNumber) => ({ partNumber, url: `https://s3/part-${partNumber}`, sizeBytes: 0 })),
      );
    },
    completeMultipartUpload(taskId: number, uploadId: string) {
      calls.push(`complete ${taskId} ${uploadId}`);
      return Promise.resolve(TASK);
    },
  };
  return { api: api as unknown as ApiClient, calls };
}

/** PUTs into `received` (url → bytes), failing the attempts `failures` names (url → how many). */
function fakeStorage(failures: Record<string, number> = {}) {
  const received = new Map<string, string>();
  const attempts: string[] = [];
  const putPart: PutPart = async (url, body, onProgress) => {
    attempts.push(url);
    if ((failures[url] ?? 0) > 0) {
      failures[url] = (failures[url] ?? 0) - 1;
      throw new StorageUploadError(0, null, 'The upload could not reach storage.');
    }
    received.set(url, await body.text());
    onProgress(body.size);
  };
  return { putPart, received, attempts };
}

const noWait = () => Promise.resolve();

describe('uploadParts', () => {
  it('sends only the parts storage lacks, each its own byte range, retries a dropped one and completes', async () => {
    // Prepare
    const { api, calls } = fakeApi([1]);
    const storage = fakeStorage({ 'https://s3/part-2': 1 });
    const progress: number[] = [];

    // Act
    const task = await uploadParts({
      api,
      taskId: 7,
      file: FILE,
      upload: PLAN,
      signal: new AbortController().signal,
      putPart: storage.putPart,
      sleep: noWait,
      onProgress: ({ loaded }) => progress.push(loaded),
    });

    // Assess
    expect(task).toBe(TASK);
    expect(Object.fromEntries(storage.received)).toEqual({
      'https://s3/part-2': 'bbbbbbbbbb',
      'https://s3/part-3': 'ccccc',
    });
    expect(storage.attempts.filter((url) => url.endsWith('part-2'))).toHaveLength(2);
    expect(calls[0]).toBe('list 7 up-1');
    expect(calls.at(-1)).toBe('complete 7 up-1');
    expect(progress[0]).toBe(10);
    expect(progress.at(-1)).toBe(25);
  });

  it('gives up on a part after five failed attempts and never completes', async () => {
    // Prepare
    const { api, calls } = fakeApi([1, 2]);
    const storage = fakeStorage({ 'https://s3/part-3': 5 });

    // Act
    const upload = uploadParts({
      api,
      taskId: 7,
      file: FILE,
      upload: PLAN,
      signal: new AbortController().signal,
      putPart: storage.putPart,
      sleep: noWait,
      onProgress: () => undefined,
    });

    // Assess
    await expect(upload).rejects.toBeInstanceOf(StorageUploadError);
    expect(storage.attempts).toEqual(Array<string>(5).fill('https://s3/part-3'));
    expect(calls.some((call) => call.startsWith('complete'))).toBe(false);
  });
});

describe('UploadTracker', () => {
  it('remembers an upload while it runs, forgets it once sent, and reports it as sent until the task moves', async () => {
    // Prepare
    const storageArea = new MemoryStorage();
    const storage = fakeStorage();
    const tracker = new UploadTracker(storageArea, storage.putPart);
    const { api } = fakeApi([]);
    const seen: (string | undefined)[] = [];
    tracker.subscribe(() => seen.push(tracker.state(7)?.kind));

    // Act
    await tracker.run(api, 7, FILE, PLAN);

    // Assess
    expect(seen[0]).toBe('uploading');
    expect(tracker.state(7)).toEqual({ kind: 'sent' });
    expect(tracker.saved(7)).toBeUndefined();
    expect(tracker.busy()).toBe(false);
  });

  it('keeps an upload that failed as interrupted, to resume with the same file', async () => {
    // Prepare
    const storageArea = new MemoryStorage();
    const tracker = new UploadTracker(storageArea, () => Promise.reject(new Error('tab closed')));
    const { api } = fakeApi([]);

    // Act
    const run = tracker.run(api, 7, FILE, PLAN);

    // Assess
    await expect(run).rejects.toThrow('tab closed');
    expect(tracker.state(7)).toEqual({ kind: 'interrupted' });
    const saved = new UploadTracker(storageArea).saved(7);
    expect(saved).toEqual({
      taskId: 7,
      uploadId: 'up-1',
      fileName: 'heat.mp4',
      size: 25,
      lastModified: 1_700_000_000_000,
      plan: PLAN,
    });
    expect(saved !== undefined && sameFile(saved, FILE)).toBe(true);
    expect(
      saved !== undefined &&
        sameFile(saved, new File(['x'], 'heat.mp4', { lastModified: 1_700_000_000_000 })),
    ).toBe(false);
  });
});

describe('status words', () => {
  it.each([
    [{ kind: 'uploading', loaded: 39, total: 100 } as const, 'Uploading 39 %'],
    [{ kind: 'interrupted' } as const, 'Upload interrupted — resume or cancel'],
    [{ kind: 'sent' } as const, 'Uploaded'],
  ])('labels %o as %s', (state, label) => {
    expect(uploadLabel(state)).toBe(label);
  });

  it.each([
    [0, '0 s'],
    [59_999, '59 s'],
    [65_000, '1 min 05 s'],
    [-3_000, '0 s'],
  ])('writes %d ms of processing as %s', (ms, text) => {
    const since = '2026-12-02T00:00:00.000Z';
    expect(elapsedSince(since, Date.parse(since) + ms)).toBe(text);
  });
});

describe('usernameOf', () => {
  const token = (claims: object) =>
    `e30.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.signature`;

  it('reads the username claim of an access token, for the header', () => {
    expect(usernameOf(token({ username: 'Ace_Pilot', sub: 's' }))).toBe('Ace_Pilot');
  });

  it('gives undefined for a token without one or a malformed token', () => {
    expect([usernameOf(token({ sub: 's' })), usernameOf('not-a-jwt')]).toEqual([undefined, undefined]);
  });
});
