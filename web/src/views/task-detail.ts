/** One task: status, the edited video, downloads, retry, delete. */
import type { Task } from '../api';
import { alertBox, reportFailure, showAlert, type View, type ViewContext } from '../context';
import { h, replaceChildren } from '../dom';
import { formatBytes } from '../messages';
import { poller } from './poller';
import { publicationControl } from './publication';
import { formatDate, isPending, statusBadge, statusLabel } from './status';

export function taskDetailView(context: ViewContext, id: number): View {
  const heading = h('h1', { tabindex: -1 }, `Video ${id}`);
  const alert = alertBox('task-alert');
  const body = h('div', { class: 'task-detail', 'aria-busy': 'true' });
  let shown: Task | null = null;

  const refresh = poller(async () => {
    try {
      const task = await context.api.getTask(id);
      // Re-rendering would reload the playing video with new presigned URLs; only a new status does.
      if (shown?.status !== task.status) {
        if (shown !== null) context.announce(`${task.fileName}: ${statusLabel(task.status)}.`);
        shown = task;
        heading.textContent = task.fileName;
        document.title = `${task.fileName} — IDRL Video Console`;
        const retry = task.retryable === true ? [retryControl(context, task, alert, refresh.run)] : [];
        replaceChildren(
          body,
          ...details(task),
          ...retry,
          publicationControl(context, task, alert),
          deleteControl(context, task, alert),
        );
      }
      showAlert(alert, null);
      return isPending(task.status);
    } catch (error) {
      reportFailure(context, alert, error);
      return false;
    } finally {
      body.setAttribute('aria-busy', 'false');
    }
  });
  refresh.run();

  // The API's URLs are presigned for 5 minutes, and polling stops once the task is processed: a page
  // left open renews them before they expire, so its links and player keep working.
  const renewal = setInterval(() => {
    if (shown === null || isPending(shown.status)) return;
    context.api.getTask(id).then(
      (task) => {
        renewUrls(body, task);
      },
      (error: unknown) => {
        reportFailure(context, alert, error);
      },
    );
  }, URL_RENEW_MS);
  const dispose = (): void => {
    refresh.dispose();
    clearInterval(renewal);
  };

  const element = h(
    'div',
    { class: 'detail-page' },
    h('nav', { 'aria-label': 'Breadcrumb' }, h('a', { href: '#/' }, '← All videos')),
    heading,
    alert,
    body,
  );
  return { title: `Video ${id}`, element, dispose };
}

const URL_RENEW_MS = 4 * 60 * 1000;

/** Swaps in fresh URLs without reloading a playing video: the player takes its new one if its source fails. */
function renewUrls(body: HTMLElement, task: Task): void {
  const link = (which: string): HTMLAnchorElement | null =>
    body.querySelector<HTMLAnchorElement>(`a[data-url="${which}"]`);
  const original = link('original');
  if (original !== null && task.original !== undefined) original.href = task.original.url;
  const processed = link('processed');
  if (processed !== null && task.processed !== undefined) processed.href = task.processed.url;
  const player = body.querySelector<HTMLVideoElement>('video');
  if (player !== null && task.processed !== undefined) {
    player.dataset.freshSrc = task.processed.playbackUrl;
    if (task.thumbnail !== undefined) player.poster = task.thumbnail.url;
  }
}

function details(task: Task): Node[] {
  const nodes: Node[] = [
    h(
      'p',
      { class: 'task-meta' },
      statusBadge(task),
      ' ',
      h('span', {}, `Created ${formatDate(task.createdAt)}`),
    ),
  ];
  if (task.status === 'failed')
    nodes.push(h('p', { class: 'failure' }, task.failureReason ?? 'Processing failed.'));
  if (isPending(task.status))
    nodes.push(
      h(
        'p',
        { class: 'hint' },
        'The edited video appears here when processing is done. This page updates by itself.',
      ),
    );
  if (task.processed !== undefined) {
    const processed = task.processed;
    const player = h('video', {
      id: 'edited-video',
      class: 'player',
      controls: true,
      preload: 'metadata',
      playsinline: true,
      src: processed.playbackUrl,
      poster: task.thumbnail?.url,
      width: processed.width,
      height: processed.height,
      'aria-label': `Edited video of ${task.fileName}`,
    });
    player.addEventListener('error', () => {
      // Its URL expired: resume from the same moment on the one renewUrls left (once per renewal).
      const fresh = player.dataset.freshSrc;
      if (fresh === undefined || fresh === player.currentSrc) return;
      const at = player.currentTime;
      player.src = fresh;
      player.currentTime = at;
    });
    nodes.push(
      player,
      h(
        'dl',
        { class: 'facts' },
        h('dt', {}, 'Length'),
        h('dd', {}, `${processed.durationSeconds.toFixed(1)} s`),
        h('dt', {}, 'Resolution'),
        h('dd', {}, `${processed.width} × ${processed.height}`),
        h('dt', {}, 'Size'),
        h('dd', {}, formatBytes(processed.sizeBytes)),
      ),
    );
  }
  // Storage is another origin, where browsers ignore `download`: the URL's Content-Disposition
  // (attachment, the pilot's file name) makes the click a download that leaves the console in place.
  const downloadLink = (which: string, href: string, label: string): HTMLElement =>
    h('li', {}, h('a', { href, class: 'button', rel: 'noopener', 'data-url': which }, label));
  const downloads = [
    task.original === undefined ? null : downloadLink('original', task.original.url, 'Download original'),
    task.processed === undefined
      ? null
      : downloadLink('processed', task.processed.url, 'Download edited video'),
  ].filter((item) => item !== null);
  if (downloads.length > 0)
    nodes.push(h('ul', { class: 'downloads', 'aria-label': 'Downloads' }, ...downloads));
  return nodes;
}

/** A failure the platform caused (not the upload's content): the task goes through processing again. */
function retryControl(
  context: ViewContext,
  task: Task,
  alert: HTMLElement,
  refresh: () => void,
): HTMLElement {
  const retry = h('button', { type: 'button', class: 'primary' }, 'Retry processing');
  retry.addEventListener('click', () => {
    retry.disabled = true;
    context.api.retryTask(task.id).then(
      () => {
        context.announce(`${task.fileName}: queued for processing again.`);
        // Polls again: the new status re-renders the page (this button goes with it).
        refresh();
      },
      (error: unknown) => {
        retry.disabled = false;
        reportFailure(context, alert, error);
      },
    );
  });
  return h('div', { class: 'retry' }, retry);
}

/** A modal <dialog>: it traps focus, closes on Escape and returns focus to the button that opened it. */
function deleteControl(context: ViewContext, task: Task, alert: HTMLElement): HTMLElement {
  const confirm = h('button', { type: 'button', class: 'danger' }, 'Delete');
  const cancel = h('button', { type: 'button' }, 'Cancel');
  const dialog = h(
    'dialog',
    { 'aria-labelledby': 'delete-heading', 'aria-describedby': 'delete-text' },
    h('h2', { id: 'delete-heading' }, `Delete ${task.fileName}?`),
    h('p', { id: 'delete-text' }, 'This removes the original and the edited video. It cannot be undone.'),
    h('div', { class: 'actions' }, cancel, confirm),
  );
  const open = h('button', { type: 'button', class: 'danger' }, 'Delete video…');
  open.addEventListener('click', () => {
    dialog.showModal();
    cancel.focus();
  });
  cancel.addEventListener('click', () => {
    dialog.close();
  });
  confirm.addEventListener('click', () => {
    confirm.disabled = true;
    context.api
      .deleteTask(task.id)
      .then(
        () => {
          dialog.close();
          context.flash(`Deleted ${task.fileName}.`);
          context.navigate('#/');
        },
        (error: unknown) => {
          dialog.close();
          reportFailure(context, alert, error);
        },
      )
      .finally(() => {
        confirm.disabled = false;
      });
  });
  return h('div', { class: 'danger-zone' }, open, dialog);
}
