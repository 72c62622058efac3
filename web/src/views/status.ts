import type { Task, TaskStatus } from '../api';
import { h } from '../dom';
import { percentOf, type UploadState, type UploadTracker } from '../uploads';

const LABELS: Record<TaskStatus, string> = {
  awaiting_upload: 'Awaiting upload',
  uploaded: 'Uploaded',
  processing: 'Processing',
  processed: 'Processed',
  failed: 'Failed',
};

/** States the worker will still move on. */
export function isPending(status: TaskStatus): boolean {
  return status === 'awaiting_upload' || status === 'uploaded' || status === 'processing';
}

/**
 * Whether a view should keep polling the task: an upload waits on this browser, so a task awaiting
 * one nobody here is sending is not polled (it would be for the 24 h until the sweeper fails it).
 */
export function isMoving(task: Task, uploads: UploadTracker): boolean {
  if (task.status === 'awaiting_upload') {
    const kind = uploads.state(task.id)?.kind;
    return kind === 'uploading' || kind === 'sent';
  }
  return isPending(task.status);
}

/** "Uploading 39 %" while this browser sends it, "Upload interrupted — resume or cancel" once it stopped. */
export function uploadLabel(state: UploadState): string {
  if (state.kind === 'uploading') return `Uploading ${percentOf(state)} %`;
  if (state.kind === 'sent') return LABELS.uploaded;
  return 'Upload interrupted — resume or cancel';
}

export function statusLabel(status: TaskStatus): string {
  return LABELS[status];
}

/** The label is text, so status never depends on colour alone. */
export function statusBadge(task: Task, uploads: UploadTracker): HTMLSpanElement {
  const upload = task.status === 'awaiting_upload' ? uploads.state(task.id) : null;
  return h(
    'span',
    {
      class: `badge badge-${task.status}`,
      'data-status': task.status,
      'data-upload': upload?.kind,
    },
    upload === null ? statusLabel(task.status) : uploadLabel(upload),
  );
}

/** "45 s", "3 min 05 s": how long a task has been in its state (since its updatedAt). */
export function elapsedSince(iso: string, now = Date.now()): string {
  const seconds = Math.max(0, Math.floor((now - new Date(iso).getTime()) / 1000));
  if (seconds < 60) return `${seconds} s`;
  return `${Math.floor(seconds / 60)} min ${String(seconds % 60).padStart(2, '0')} s`;
}

/** An elapsed time that `tickElapsed` keeps current. */
export function elapsedTime(since: string): HTMLElement {
  return h('span', { class: 'elapsed', 'data-since': since }, elapsedSince(since));
}

/** Advances every elapsed time under `root` once a second, between polls; returns the stop. */
export function tickElapsed(root: HTMLElement): () => void {
  const timer = setInterval(() => {
    for (const element of root.querySelectorAll<HTMLElement>('.elapsed[data-since]'))
      element.textContent = elapsedSince(element.dataset.since ?? '');
  }, 1000);
  return () => {
    clearInterval(timer);
  };
}

export function formatDate(iso: string): string {
  return new Date(iso).toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });
}
