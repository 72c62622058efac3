/** What every view gets from the shell (main.ts): the API client and the page-wide feedback channels. */
import { SessionExpiredError, type ApiClient } from './api';
import { h } from './dom';
import { describeError } from './messages';
import type { UploadQueue } from './upload-queue';
import type { UploadTracker } from './uploads';

export interface ViewContext {
  api: ApiClient;
  /** This browser's uploads, running and interrupted. */
  uploads: UploadTracker;
  /** The upload box's queue: it outlives the view, so uploads go on while the pilot looks at a video. */
  queue: UploadQueue;
  /** Reads a message to screen-reader users without moving focus. */
  announce(message: string): void;
  /** Shows a message at the top of the next view (e.g. "Deleted race.mp4"). */
  flash(message: string): void;
  navigate(hash: string): void;
  sessionExpired(): void;
}

export interface View {
  title: string;
  element: HTMLElement;
  /** Stops timers and requests when the pilot leaves the view. */
  dispose(): void;
}

/** A visible error box; role=alert makes screen readers read it as soon as it is filled. */
export function alertBox(id: string): HTMLParagraphElement {
  return h('p', { id, class: 'alert', role: 'alert', hidden: true });
}

export function showAlert(box: HTMLElement, message: string | null): void {
  box.textContent = message ?? '';
  box.hidden = message === null;
}

/** Shows an error in `box`, except an expired session, which sends the pilot back to log in. */
export function reportFailure(context: ViewContext, box: HTMLElement, error: unknown): void {
  if (error instanceof SessionExpiredError) context.sessionExpired();
  else showAlert(box, describeError(error));
}
