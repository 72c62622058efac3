/**
 * The upload box's queue (docs/console.md, "The upload queue"): files added while others upload wait their turn,
 * FILES_AT_ONCE of them upload at a time, each can be cancelled on its own, and a file whose upload was interrupted
 * in this browser resumes into its task instead of creating a second one. No DOM here: the panel draws the items.
 */
import { ApiError, type ApiClient, type Cut, type MultipartUpload } from './api';
import type { SavedUpload, UploadTracker } from './uploads';

/**
 * Two files at a time, each sending up to three parts (multipart.ts): six requests to storage, the most a browser
 * keeps open to one host over HTTP/1.1 — a third file would only wait inside the browser. Two rather than one so
 * the uplink keeps working while one file waits out a retry or its task's round trips to the API.
 */
export const FILES_AT_ONCE = 2;

/** What the box's form said for this file when it was added (a resumed task keeps what it was created with). */
export interface QueuedOptions {
  contentType: string;
  public: boolean;
  title: string | undefined;
  cut: Partial<Cut>;
}

export type QueueItemState =
  | { kind: 'waiting' }
  | { kind: 'uploading'; loaded: number; total: number }
  | { kind: 'uploaded' }
  | { kind: 'failed'; error: unknown }
  | { kind: 'cancelled' };

export interface QueueItem {
  readonly key: number;
  readonly file: File;
  readonly options: QueuedOptions;
  state: QueueItemState;
  /** The task it uploads into, once created (or, for a resume, from the start). */
  taskId: number | null;
  /** The interrupted upload it continues, or null for a new task. */
  resumes: SavedUpload | null;
}

/** Why a running item stopped: its Cancel, not a failure. */
export class UploadCancelledError extends Error {
  constructor() {
    super('The upload was cancelled.');
    this.name = 'UploadCancelledError';
  }
}

/** Uploads one item; rejects with UploadCancelledError once `signal` aborted and the task is deleted. */
export type SendItem = (item: QueueItem, signal: AbortSignal, changed: () => void) => Promise<void>;

/** Why a file was not queued: it is already on its way. */
export type Refusal = 'queued' | 'uploading';

export class UploadQueue {
  private batch: QueueItem[] = [];
  private readonly running = new Map<number, AbortController>();
  private readonly listeners = new Set<() => void>();
  private nextKey = 1;

  constructor(
    private readonly tracker: UploadTracker,
    private readonly send: SendItem,
    private readonly concurrency = FILES_AT_ONCE,
  ) {}

  /**
   * Queues `file`, resuming this browser's interrupted upload of the same file (docs/console.md: same name, size
   * and modification time) rather than creating a task; refuses a file already queued or uploading here.
   */
  add(file: File, options: QueuedOptions): QueueItem | Refusal {
    const pending = this.batch.filter((item) => isPending(item.state));
    if (pending.some((item) => sameIdentity(item.file, file))) return 'queued';
    const saved = this.tracker.savedFor(file);
    if (saved !== undefined && this.tracker.state(saved.taskId)?.kind === 'uploading') return 'uploading';
    // A new batch starts once everything before it has ended: its count ("2 of 3") starts over.
    if (pending.length === 0) this.batch = [];
    const item: QueueItem = {
      key: this.nextKey++,
      file,
      options,
      state: { kind: 'waiting' },
      taskId: null,
      resumes: saved ?? null,
    };
    this.batch.push(item);
    this.pump();
    this.changed();
    return item;
  }

  /** The current batch, in the order added: settled items stay until the next batch starts. */
  items(): readonly QueueItem[] {
    return this.batch;
  }

  /** "2 of 3": the item's place in its batch. */
  position(item: QueueItem): string {
    return `${this.batch.indexOf(item) + 1} of ${this.batch.length}`;
  }

  /** Files of the batch uploaded so far, of how many. */
  progress(): { uploaded: number; total: number } {
    return {
      uploaded: this.batch.filter((item) => item.state.kind === 'uploaded').length,
      total: this.batch.length,
    };
  }

  /** Whether a file still waits or uploads. */
  busy(): boolean {
    return this.batch.some((item) => isPending(item.state));
  }

  /**
   * Cancels one item and nothing else: a waiting one leaves the queue unsent; a running one stops, and its task
   * (with the parts stored so far) is deleted by `send`.
   */
  cancel(key: number): void {
    const item = this.batch.find((candidate) => candidate.key === key);
    if (item === undefined) return;
    const controller = this.running.get(key);
    if (controller !== undefined) controller.abort(new UploadCancelledError());
    else if (item.state.kind === 'waiting') {
      item.state = { kind: 'cancelled' };
      this.changed();
    }
  }

  subscribe(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private pump(): void {
    for (const item of this.batch) {
      if (this.running.size >= this.concurrency) return;
      if (item.state.kind === 'waiting' && !this.running.has(item.key)) this.start(item);
    }
  }

  private start(item: QueueItem): void {
    const controller = new AbortController();
    this.running.set(item.key, controller);
    item.state = { kind: 'uploading', loaded: 0, total: item.file.size };
    this.send(item, controller.signal, () => {
      this.changed();
    })
      .then(
        () => {
          item.state = { kind: 'uploaded' };
        },
        (error: unknown) => {
          item.state =
            error instanceof UploadCancelledError ? { kind: 'cancelled' } : { kind: 'failed', error };
        },
      )
      .finally(() => {
        this.running.delete(item.key);
        this.pump();
        this.changed();
      })
      .catch(() => undefined);
  }

  private changed(): void {
    for (const listener of this.listeners) listener();
  }
}

function isPending(state: QueueItemState): boolean {
  return state.kind === 'waiting' || state.kind === 'uploading';
}

function sameIdentity(a: File, b: File): boolean {
  return a.name === b.name && a.size === b.size && a.lastModified === b.lastModified;
}

/**
 * The SendItem of the console: resumes `item.resumes` if its task still waits for that upload (else forgets it and
 * starts a new task), or creates the task; then uploads by the plan. A cancel at any point deletes the task, which
 * aborts its multipart upload with the parts stored (`DELETE /api/tasks/{id}`, docs/api.md).
 */
export function sendWith(api: ApiClient, tracker: UploadTracker): SendItem {
  return async (item, signal, changed) => {
    const stopped = () => {
      if (item.taskId !== null) tracker.forget(item.taskId);
    };
    signal.addEventListener('abort', stopped);
    try {
      const plan = await planFor(api, tracker, item, signal, changed);
      const unsubscribe = tracker.subscribe(() => {
        const state = item.taskId === null ? null : tracker.state(item.taskId);
        if (state?.kind !== 'uploading' || item.state.kind !== 'uploading') return;
        item.state = { kind: 'uploading', loaded: state.loaded, total: state.total };
        changed();
      });
      try {
        await tracker.run(api, item.taskId ?? 0, item.file, plan);
      } finally {
        unsubscribe();
      }
    } catch (error) {
      if (!signal.aborted) throw error;
      if (item.taskId !== null) await api.deleteTask(item.taskId);
      throw new UploadCancelledError();
    } finally {
      signal.removeEventListener('abort', stopped);
    }
  };
}

async function planFor(
  api: ApiClient,
  tracker: UploadTracker,
  item: QueueItem,
  signal: AbortSignal,
  changed: () => void,
): Promise<MultipartUpload> {
  const saved = item.resumes;
  if (saved !== null && (await stillWaiting(api, saved.taskId))) {
    item.taskId = saved.taskId;
    signal.throwIfAborted();
    return saved.plan;
  }
  if (saved !== null) {
    // Its task was deleted, failed by the sweeper, or got its upload elsewhere: this file starts over.
    tracker.forget(saved.taskId);
    item.resumes = null;
    changed();
  }
  signal.throwIfAborted();
  const task = await api.createTask({
    fileName: item.file.name,
    contentType: item.options.contentType,
    size: item.file.size,
    public: item.options.public,
    title: item.options.title,
    ...item.options.cut,
  });
  item.taskId = task.id;
  changed();
  signal.throwIfAborted();
  // Nothing to check against task.upload.maxBytes: the API refuses a task declared over its limit (413).
  return api.startMultipartUpload(task.id);
}

async function stillWaiting(api: ApiClient, taskId: number): Promise<boolean> {
  try {
    return (await api.getTask(taskId)).status === 'awaiting_upload';
  } catch (error) {
    if (error instanceof ApiError && error.status === 404) return false;
    throw error;
  }
}
