import type { Task, TaskStatus } from '../api';
import { h } from '../dom';

const LABELS: Record<TaskStatus, string> = {
  awaiting_upload: 'Awaiting upload',
  uploaded: 'Uploaded',
  processing: 'Processing',
  processed: 'Processed',
  failed: 'Failed',
};

/** States the worker will still move on: the views poll while a task is in one. */
export function isPending(status: TaskStatus): boolean {
  return status === 'awaiting_upload' || status === 'uploaded' || status === 'processing';
}

export function statusLabel(status: TaskStatus): string {
  return LABELS[status];
}

/** The label is text, so status never depends on colour alone. */
export function statusBadge(task: Task): HTMLSpanElement {
  return h(
    'span',
    { class: `badge badge-${task.status}`, 'data-status': task.status },
    statusLabel(task.status),
  );
}

export function formatDate(iso: string): string {
  return new Date(iso).toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });
}
