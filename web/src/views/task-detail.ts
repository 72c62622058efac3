/** One task: status, the edited video, downloads, delete. */
import type { Task } from '../api';
import { alertBox, reportFailure, showAlert, type View, type ViewContext } from '../context';
import { h, replaceChildren } from '../dom';
import { formatBytes } from '../messages';
import { poller } from './poller';
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
        replaceChildren(body, ...details(task), deleteControl(context, task, alert));
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

  const element = h('div', { class: 'detail-page' }, h('nav', { 'aria-label': 'Breadcrumb' }, h('a', { href: '#/' }, '← All videos')), heading, alert, body);
  return { title: `Video ${id}`, element, dispose: refresh.dispose };
}

function details(task: Task): Node[] {
  const nodes: Node[] = [h('p', { class: 'task-meta' }, statusBadge(task), ' ', h('span', {}, `Created ${formatDate(task.createdAt)}`))];
  if (task.status === 'failed') nodes.push(h('p', { class: 'failure' }, task.failureReason ?? 'Processing failed.'));
  if (isPending(task.status)) nodes.push(h('p', { class: 'hint' }, 'The edited video appears here when processing is done. This page updates by itself.'));
  if (task.processed !== undefined) {
    const processed = task.processed;
    nodes.push(
      h('video', {
        id: 'edited-video',
        class: 'player',
        controls: true,
        preload: 'metadata',
        playsinline: true,
        src: processed.url,
        poster: task.thumbnail?.url,
        width: processed.width,
        height: processed.height,
        'aria-label': `Edited video of ${task.fileName}`,
      }),
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
  const downloads = [
    task.original === undefined ? null : h('li', {}, h('a', { href: task.original.url, download: task.fileName, class: 'button' }, 'Download original')),
    task.processed === undefined ? null : h('li', {}, h('a', { href: task.processed.url, download: editedName(task.fileName), class: 'button' }, 'Download edited video')),
  ].filter((item) => item !== null);
  if (downloads.length > 0) nodes.push(h('ul', { class: 'downloads', 'aria-label': 'Downloads' }, ...downloads));
  return nodes;
}

function editedName(fileName: string): string {
  return `${fileName.replace(/\.[^.]*$/, '')}-idrl.mp4`;
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
