import { describe, expect, it } from 'vitest';
import { ApiError, type ApiClient, type MultipartUpload, type SignedPart, type Task } from '#web/src/api';
import type { PutPart } from '#web/src/multipart';
import {
  FILES_AT_ONCE,
  sendWith,
  UploadCancelledError,
  UploadQueue,
  type QueueItem,
  type QueuedOptions,
  type SendItem,
} from '#web/src/upload-queue';
import { UploadTracker } from '#web/src/uploads';
import { MemoryStorage } from './memory-storage';

const OPTIONS: QueuedOptions = { contentType: 'video/mp4', public: true, title: undefined, cut: {} };
const PLAN: MultipartUpload = { uploadId: 'up-9', partBytes: 10, partCount: 3, maxBytes: 25 };

function video(name: string, text = 'aaaaaaaaaabbbbbbbbbbccccc'): File {
  return new File([new TextEncoder().encode(text)], name, {
    type: 'video/mp4',
    lastModified: 1_700_000_000_000,
  });
}

/** A sender whose uploads end when the test says: `finish(name)` / `fail(name)`; records what it was given. */
function scriptedSender() {
  const started: string[] = [];
  const signals = new Map<string, AbortSignal>();
  const endings = new Map<string, { resolve: () => void; reject: (error: unknown) => void }>();
  const send: SendItem = (item, signal) =>
    new Promise<void>((resolve, reject) => {
      started.push(item.file.name);
      signals.set(item.file.name, signal);
      endings.set(item.file.name, { resolve, reject });
      // As the console's sender does once the task is deleted.
      signal.addEventListener('abort', () => {
        reject(new UploadCancelledError());
      });
    });
  return {
    send,
    started,
    signals,
    finish: (name: string) => endings.get(name)?.resolve(),
    fail: (name: string, error: unknown) => endings.get(name)?.reject(error),
  };
}

const settle = () => new Promise((resolve) => setTimeout(resolve, 0));

function added(result: QueueItem | string): QueueItem {
  if (typeof result === 'string') throw new Error(`refused: ${result}`);
  return result;
}

describe('UploadQueue', () => {
  it(`uploads ${FILES_AT_ONCE} files at a time in the order added, the next starting as one ends`, async () => {
    // Prepare
    const sender = scriptedSender();
    const queue = new UploadQueue(new UploadTracker(new MemoryStorage()), sender.send);

    // Act
    const [first, second, third] = ['a.mp4', 'b.mp4', 'c.mp4'].map((name) =>
      added(queue.add(video(name), OPTIONS)),
    );

    // Assess
    expect(sender.started).toEqual(['a.mp4', 'b.mp4']);
    expect(third?.state).toEqual({ kind: 'waiting' });
    expect(queue.position(second as QueueItem)).toBe('2 of 3');
    expect(queue.progress()).toEqual({ uploaded: 0, total: 3 });

    // Act
    sender.finish('b.mp4');
    await settle();

    // Assess
    expect(second?.state).toEqual({ kind: 'uploaded' });
    expect(first?.state.kind).toBe('uploading');
    expect(sender.started).toEqual(['a.mp4', 'b.mp4', 'c.mp4']);
    expect(queue.progress()).toEqual({ uploaded: 1, total: 3 });
    expect(queue.busy()).toBe(true);
  });

  it('adds a file to the running batch ("3 of 3"), and starts a new count once the batch has ended', async () => {
    // Prepare
    const sender = scriptedSender();
    const queue = new UploadQueue(new UploadTracker(new MemoryStorage()), sender.send);
    added(queue.add(video('a.mp4'), OPTIONS));
    added(queue.add(video('b.mp4'), OPTIONS));

    // Act: a file added while both upload
    const late = added(queue.add(video('c.mp4'), OPTIONS));

    // Assess
    expect(queue.position(late)).toBe('3 of 3');

    // Act: everything ends (one of them failing), then another file
    sender.finish('a.mp4');
    sender.fail('b.mp4', new ApiError(409, 'Conflict'));
    await settle();
    sender.finish('c.mp4');
    await settle();
    const next = added(queue.add(video('d.mp4'), OPTIONS));

    // Assess
    expect(queue.busy()).toBe(true);
    expect(queue.items().map((item) => item.file.name)).toEqual(['d.mp4']);
    expect(queue.position(next)).toBe('1 of 1');
  });

  it('keeps a failed file failed with its error, and goes on with the others', async () => {
    // Prepare
    const sender = scriptedSender();
    const queue = new UploadQueue(new UploadTracker(new MemoryStorage()), sender.send, 1);
    const first = added(queue.add(video('a.mp4'), OPTIONS));
    const second = added(queue.add(video('b.mp4'), OPTIONS));
    const error = new ApiError(429, 'You already have 5 unfinished tasks');

    // Act
    sender.fail('a.mp4', error);
    await settle();

    // Assess
    expect(first.state).toEqual({ kind: 'failed', error });
    expect(second.state.kind).toBe('uploading');
  });

  it('cancels a waiting file without sending it, and a running one by aborting it; the others go on', async () => {
    // Prepare
    const sender = scriptedSender();
    const queue = new UploadQueue(new UploadTracker(new MemoryStorage()), sender.send, 1);
    const running = added(queue.add(video('a.mp4'), OPTIONS));
    const waiting = added(queue.add(video('b.mp4'), OPTIONS));
    const last = added(queue.add(video('c.mp4'), OPTIONS));

    // Act
    queue.cancel(waiting.key);

    // Assess
    expect(waiting.state).toEqual({ kind: 'cancelled' });
    expect(sender.started).toEqual(['a.mp4']);

    // Act
    queue.cancel(running.key);
    await settle();

    // Assess
    expect(sender.signals.get('a.mp4')?.reason).toBeInstanceOf(UploadCancelledError);
    expect(running.state).toEqual({ kind: 'cancelled' });
    expect(last.state.kind).toBe('uploading');
    expect(sender.started).toEqual(['a.mp4', 'c.mp4']);
    expect(queue.position(last)).toBe('3 of 3');
  });

  it('refuses a file already queued, and one this browser is uploading from its page', () => {
    // Prepare
    const storage = new MemoryStorage();
    const tracker = new UploadTracker(storage, () => new Promise<void>(() => undefined));
    const queue = new UploadQueue(tracker, scriptedSender().send);
    added(queue.add(video('a.mp4'), OPTIONS));
    const elsewhere = video('elsewhere.mp4');
    void tracker.run(fakeApi().api, 4, elsewhere, PLAN).catch(() => undefined);

    // Act
    const twice = queue.add(video('a.mp4'), OPTIONS);
    const running = queue.add(elsewhere, OPTIONS);

    // Assess
    expect(twice).toBe('queued');
    expect(running).toBe('uploading');
    expect(queue.items()).toHaveLength(1);
  });
});

/** The API calls of a queued upload over a store that holds `stored` part numbers of task 7's upload. */
function fakeApi(
  options: { stored?: number[]; status?: Task['status'] | 'gone'; complete?: () => Promise<Task> } = {},
) {
  const calls: string[] = [];
  const task = (id: number, status: Task['status']) => ({ id, fileName: 'heat.mp4', status }) as Task;
  const api = {
    createTask(input: { fileName: string; public: boolean; title?: string }) {
      calls.push(`create ${input.fileName} public=${input.public} title=${input.title}`);
      return Promise.resolve({ ...task(8, 'awaiting_upload'), upload: { maxBytes: 25 } });
    },
    getTask(id: number) {
      calls.push(`get ${id}`);
      if (options.status === 'gone') return Promise.reject(new ApiError(404, 'Task not found'));
      return Promise.resolve(task(id, options.status ?? 'awaiting_upload'));
    },
    deleteTask(id: number) {
      calls.push(`delete ${id}`);
      return Promise.resolve();
    },
    startMultipartUpload(id: number) {
      calls.push(`start ${id}`);
      return Promise.resolve({ ...PLAN, uploadId: 'up-new' });
    },
    listParts(id: number, uploadId: string) {
      calls.push(`list ${id} ${uploadId}`);
      return Promise.resolve((options.stored ?? []).map((partNumber) => ({ partNumber, sizeBytes: 10 })));
    },
    signParts(_id: number, uploadId: string, partNumbers: number[]): Promise<SignedPart[]> {
      return Promise.resolve(
        partNumbers.map((partNumber) => ({
          partNumber,
          url: `https://s3/${uploadId}/${partNumber}`,
          sizeBytes: 0,
        })),
      );
    },
    completeMultipartUpload(id: number, uploadId: string) {
      calls.push(`complete ${id} ${uploadId}`);
      return options.complete?.() ?? Promise.resolve(task(id, 'awaiting_upload'));
    },
  };
  return { api: api as unknown as ApiClient, calls };
}

/** Storage that takes every part, recording its URL. */
function acceptingStorage() {
  const received: string[] = [];
  const putPart: PutPart = (url, body, onProgress) => {
    received.push(url);
    onProgress(body.size);
    return Promise.resolve();
  };
  return { putPart, received };
}

/** A tracker that remembers an interrupted upload of `file` into task 7 (parts of 10 bytes, upload up-7). */
function interrupted(storage: MemoryStorage, file: File): void {
  storage.setItem(
    'idrl.uploads',
    JSON.stringify({
      7: {
        taskId: 7,
        uploadId: 'up-7',
        fileName: file.name,
        size: file.size,
        lastModified: file.lastModified,
        plan: { ...PLAN, uploadId: 'up-7' },
      },
    }),
  );
}

/** Runs one file through a queue with the console's sender until it settles. */
async function upload(api: ApiClient, tracker: UploadTracker, file: File, options = OPTIONS) {
  const queue = new UploadQueue(tracker, sendWith(api, tracker));
  const item = added(queue.add(file, options));
  const resumes = item.resumes?.taskId;
  await expect.poll(() => queue.busy()).toBe(false);
  return { item, resumes };
}

describe('sendWith (the console’s uploads)', () => {
  it('creates the task with the form’s choices, uploads every part and completes', async () => {
    // Prepare
    const { api, calls } = fakeApi();
    const storage = acceptingStorage();
    const tracker = new UploadTracker(new MemoryStorage(), storage.putPart);

    // Act
    const { item } = await upload(api, tracker, video('heat.mp4'), {
      ...OPTIONS,
      public: false,
      title: 'Heat 1',
    });

    // Assess
    expect(item.state).toEqual({ kind: 'uploaded' });
    expect(item.taskId).toBe(8);
    expect(calls).toEqual([
      'create heat.mp4 public=false title=Heat 1',
      'start 8',
      'list 8 up-new',
      'complete 8 up-new',
    ]);
    expect(storage.received).toHaveLength(3);
    expect(tracker.state(8)).toEqual({ kind: 'sent' });
  });

  it('resumes an interrupted upload of the same file into its task: no new task, only the missing parts', async () => {
    // Prepare
    const { api, calls } = fakeApi({ stored: [1, 2] });
    const storage = acceptingStorage();
    const saved = new MemoryStorage();
    const file = video('heat.mp4');
    interrupted(saved, file);
    const tracker = new UploadTracker(saved, storage.putPart);

    // Act
    const { item, resumes } = await upload(api, tracker, video('heat.mp4'));

    // Assess
    expect(resumes).toBe(7);
    expect(item.state).toEqual({ kind: 'uploaded' });
    expect(item.taskId).toBe(7);
    expect(calls).toEqual(['get 7', 'list 7 up-7', 'complete 7 up-7']);
    expect(storage.received).toEqual(['https://s3/up-7/3']);
    expect(tracker.saved(7)).toBeUndefined();
  });

  it.each([
    ['a file of another date', { lastModified: 1_700_000_000_001 }],
    ['a file of another size', { text: 'aaaaaaaaaabbbbbbbbbbcccc' }],
  ])('does not resume into %s: it is a new upload', async (_case, differs) => {
    // Prepare
    const { api, calls } = fakeApi();
    const saved = new MemoryStorage();
    interrupted(saved, video('heat.mp4'));
    const tracker = new UploadTracker(saved, acceptingStorage().putPart);
    const other = new File(
      [new TextEncoder().encode('text' in differs ? differs.text : 'aaaaaaaaaabbbbbbbbbbccccc')],
      'heat.mp4',
      { lastModified: 'lastModified' in differs ? differs.lastModified : 1_700_000_000_000 },
    );

    // Act
    const { item, resumes } = await upload(api, tracker, other);

    // Assess
    expect(resumes).toBeUndefined();
    expect(item.taskId).toBe(8);
    expect(calls[0]).toBe('create heat.mp4 public=true title=undefined');
    expect(tracker.saved(7)).toBeDefined();
  });

  it.each([
    ['deleted', 'gone' as const],
    ['failed by the sweeper', 'failed' as const],
  ])('starts over with a new task when the interrupted one was %s, and forgets it', async (_case, status) => {
    // Prepare
    const { api, calls } = fakeApi({ status });
    const saved = new MemoryStorage();
    const file = video('heat.mp4');
    interrupted(saved, file);
    const tracker = new UploadTracker(saved, acceptingStorage().putPart);

    // Act
    const { item, resumes } = await upload(api, tracker, file);

    // Assess
    expect(resumes).toBe(7);
    expect(item.resumes).toBeNull();
    expect(item.state).toEqual({ kind: 'uploaded' });
    expect(calls.slice(0, 2)).toEqual(['get 7', 'create heat.mp4 public=true title=undefined']);
    expect(tracker.saved(7)).toBeUndefined();
  });

  it('keeps an upload that failed resumable: the task stays, remembered as interrupted', async () => {
    // Prepare
    const refused = new ApiError(409, 'The upload is not complete');
    const { api, calls } = fakeApi({ complete: () => Promise.reject(refused) });
    const tracker = new UploadTracker(new MemoryStorage(), acceptingStorage().putPart);

    // Act
    const { item } = await upload(api, tracker, video('heat.mp4'));

    // Assess
    expect(item.state).toEqual({ kind: 'failed', error: refused });
    expect(calls).not.toContain('delete 8');
    expect(tracker.state(8)).toEqual({ kind: 'interrupted' });
  });

  it('cancels a running upload: its parts stop, its task is deleted, nothing of it is remembered', async () => {
    // Prepare: storage never answers a part until the request is aborted
    const { api, calls } = fakeApi();
    const aborted: string[] = [];
    const hanging: PutPart = (url, _body, _progress, signal) =>
      new Promise((_resolve, reject) => {
        signal.addEventListener('abort', () => {
          aborted.push(url);
          reject(new Error('aborted'));
        });
      });
    const tracker = new UploadTracker(new MemoryStorage(), hanging);
    const queue = new UploadQueue(tracker, sendWith(api, tracker));
    const item = added(queue.add(video('heat.mp4'), OPTIONS));
    await expect.poll(() => tracker.state(8)?.kind).toBe('uploading');
    await expect.poll(() => aborted.length + calls.length).toBeGreaterThan(2);

    // Act
    queue.cancel(item.key);
    await expect.poll(() => queue.busy()).toBe(false);

    // Assess
    expect(item.state).toEqual({ kind: 'cancelled' });
    expect(aborted.length).toBeGreaterThan(0);
    expect(calls.at(-1)).toBe('delete 8');
    expect(calls).not.toContain('complete 8 up-new');
    expect(tracker.state(8)).toBeNull();
  });
});
