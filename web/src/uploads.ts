/**
 * The uploads of this browser: the ones running now (with their progress) and the ones that stopped
 * (a reload, a closed tab, a drop that outlasted the retries), remembered in localStorage so the list
 * can say "Upload interrupted — resume or cancel" and a resume can pick up the same upload id. Only
 * ids and the file's name, size and date are stored, never tokens or file contents.
 */
import type { ApiClient, MultipartUpload, Task } from './api';
import { uploadParts, type PutPart } from './multipart';

export interface SavedUpload {
  taskId: number;
  uploadId: string;
  fileName: string;
  size: number;
  lastModified: number;
  plan: MultipartUpload;
}

/**
 * `sent`: this browser completed the upload, and the task waits for storage's notification to leave
 * `awaiting_upload` (a moment): views keep polling it instead of showing it as never uploaded.
 */
export type UploadState =
  { kind: 'uploading'; loaded: number; total: number } | { kind: 'interrupted' } | { kind: 'sent' };

const STORAGE_KEY = 'idrl.uploads';

function readSaved(storage: Storage): Record<string, SavedUpload> {
  try {
    const parsed: unknown = JSON.parse(storage.getItem(STORAGE_KEY) ?? '{}');
    return typeof parsed === 'object' && parsed !== null ? (parsed as Record<string, SavedUpload>) : {};
  } catch {
    return {};
  }
}

export class UploadTracker {
  private readonly live = new Map<number, { loaded: number; total: number; controller: AbortController }>();
  private readonly listeners = new Set<() => void>();
  /** Completed by this page, not yet seen past `awaiting_upload`; memory only (a reload re-reads the task). */
  private readonly sent = new Set<number>();

  constructor(
    private readonly storage: Storage,
    private readonly putPart?: PutPart,
  ) {}

  state(taskId: number): UploadState | null {
    const running = this.live.get(taskId);
    if (running !== undefined) return { kind: 'uploading', loaded: running.loaded, total: running.total };
    if (this.sent.has(taskId)) return { kind: 'sent' };
    return this.saved(taskId) === undefined ? null : { kind: 'interrupted' };
  }

  saved(taskId: number): SavedUpload | undefined {
    return readSaved(this.storage)[String(taskId)];
  }

  /**
   * The upload this browser saved for the same file (sameFile), the newest if the pilot started it twice: choosing
   * that file again resumes it (docs/console.md, "The upload queue").
   */
  savedFor(file: File): SavedUpload | undefined {
    return Object.values(readSaved(this.storage))
      .filter((saved) => sameFile(saved, file))
      .sort((a, b) => b.taskId - a.taskId)[0];
  }

  /** Whether leaving the page now would interrupt an upload. */
  busy(): boolean {
    return this.live.size > 0;
  }

  subscribe(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Forgets an upload (finished, or cancelled with its task). */
  forget(taskId: number): void {
    this.sent.delete(taskId);
    this.live.get(taskId)?.controller.abort();
    this.live.delete(taskId);
    const kept = Object.entries(readSaved(this.storage)).filter(([id]) => id !== String(taskId));
    this.storage.setItem(STORAGE_KEY, JSON.stringify(Object.fromEntries(kept)));
    this.changed();
  }

  /**
   * Uploads `file` into the task by `plan` (a fresh one from startMultipartUpload, or the saved one on
   * resume), remembering it until it completes. A failure leaves it saved: interrupted, resumable.
   */
  async run(api: ApiClient, taskId: number, file: File, plan: MultipartUpload): Promise<Task> {
    const saved = readSaved(this.storage);
    saved[String(taskId)] = {
      taskId,
      uploadId: plan.uploadId,
      fileName: file.name,
      size: file.size,
      lastModified: file.lastModified,
      plan,
    };
    this.storage.setItem(STORAGE_KEY, JSON.stringify(saved));
    const controller = new AbortController();
    this.live.set(taskId, { loaded: 0, total: file.size, controller });
    this.changed();
    try {
      const task = await uploadParts({
        api,
        taskId,
        file,
        upload: plan,
        signal: controller.signal,
        putPart: this.putPart,
        onProgress: ({ loaded, total }) => {
          this.live.set(taskId, { loaded, total, controller });
          this.changed();
        },
      });
      this.forget(taskId);
      this.sent.add(taskId);
      this.changed();
      return task;
    } catch (error) {
      this.live.delete(taskId);
      this.changed();
      throw error;
    }
  }

  private changed(): void {
    for (const listener of this.listeners) listener();
  }
}

/** Whether `file` is the one the saved upload was reading (a resume must send the same bytes). */
export function sameFile(saved: SavedUpload, file: File): boolean {
  return saved.fileName === file.name && saved.size === file.size && saved.lastModified === file.lastModified;
}

export function percentOf(state: { loaded: number; total: number }): number {
  return state.total === 0 ? 0 : Math.floor((state.loaded / state.total) * 100);
}
