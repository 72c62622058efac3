/** One task: status, the edited video, downloads, retry, delete. */
import type { Task } from '../api';
import { alertBox, reportFailure, showAlert, type View, type ViewContext } from '../context';
import { h, isDisabled, keepFocus, replaceChildren, setDisabled } from '../dom';
import { formatBytes } from '../messages';
import { cutEditor, formatTime, type CutEditor } from './cut-editor';
import { poller } from './poller';
import { publicationControl } from './publication';
import { titleEditor } from './title-field';
import { percentOf, sameFile } from '../uploads';
import {
  elapsedTime,
  formatDate,
  isMoving,
  isPending,
  statusBadge,
  statusLabel,
  tickElapsed,
  uploadLabel,
} from './status';

export function taskDetailView(context: ViewContext, id: number): View {
  const heading = h('h1', { tabindex: -1 }, `Video ${id}`);
  const alert = alertBox('task-alert');
  const body = h('div', { class: 'task-detail', 'aria-busy': 'true' });
  let shown: Task | null = null;
  const showTitle = (task: Task) => {
    heading.textContent = task.title;
    document.title = `${task.title} — IDRL Video Console`;
  };

  const refresh = poller(async () => {
    try {
      const task = await context.api.getTask(id);
      // Re-rendering would reload the playing video with new presigned URLs; only a new status (or a new edit,
      // when a re-cut went through processing between two polls) does.
      if (shown?.status !== task.status || shown.revision !== task.revision) {
        if (shown !== null) context.announce(`${task.title}: ${statusLabel(task.status)}.`);
        shown = task;
        showTitle(task);
        const retry = task.retryable === true ? [retryControl(context, task, alert, refresh.run)] : [];
        // A control the new status takes away (Retry, once queued) hands focus to the page's heading.
        keepFocus(
          body,
          () => {
            replaceChildren(
              body,
              ...details(context, task),
              ...retry,
              cutControl(context, task, refresh.run),
              uploadControl(context, task, alert),
              titleEditor(context, task, alert, showTitle),
              publicationControl(context, task, alert),
              deleteControl(context, task, alert),
            );
          },
          () => heading,
        );
      }
      showAlert(alert, null);
      return isMoving(task, context.uploads);
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
  // The badge and the upload block follow this browser's upload as it runs, stops or completes.
  const unsubscribe = context.uploads.subscribe(() => {
    if (shown === null) return;
    body.querySelector('.task-meta .badge')?.replaceWith(statusBadge(shown, context.uploads));
    const control = body.querySelector('.upload-control');
    if (control === null) return;
    const fresh = uploadControl(context, shown, alert);
    // Progress re-renders this block often: a focused "Cancel upload" stays focused in the new one.
    keepFocus(
      control,
      () => {
        control.replaceWith(fresh);
      },
      () => fresh.querySelector('button') ?? fresh.querySelector('input') ?? heading,
    );
  });
  const stopElapsed = tickElapsed(body);
  const dispose = (): void => {
    refresh.dispose();
    clearInterval(renewal);
    unsubscribe();
    stopElapsed();
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
  const player = body.querySelector<HTMLVideoElement>('#edited-video');
  if (player !== null && task.processed !== undefined) {
    player.dataset.freshSrc = task.processed.playbackUrl;
    if (task.thumbnail !== undefined) player.poster = task.thumbnail.url;
  }
}

function details(context: ViewContext, task: Task): Node[] {
  const nodes: Node[] = [
    h(
      'p',
      { class: 'task-meta' },
      statusBadge(task, context.uploads),
      ' ',
      h('span', {}, `Created ${formatDate(task.createdAt)}`),
    ),
  ];
  if (task.hidden !== undefined)
    nodes.push(
      h(
        'div',
        { class: 'hidden-by-league', role: 'note' },
        h('p', { class: 'hidden-reason' }, `Hidden by the league: ${task.hidden.reason}`),
        h(
          'p',
          { class: 'hint' },
          "The league's admins took it out of the gallery, the rankings and your pilot page; its votes are kept. The switch below cannot bring it back: only the admins can.",
        ),
      ),
    );
  if (task.status === 'failed')
    nodes.push(h('p', { class: 'failure' }, task.failureReason ?? 'Processing failed.'));
  if (task.status === 'uploaded' || task.status === 'processing')
    nodes.push(
      h(
        'p',
        { class: 'hint' },
        task.status === 'processing' ? 'Processing for ' : 'Uploaded; waiting to be processed for ',
        elapsedTime(task.updatedAt),
        '. The edited video appears here when it is done; this page updates by itself.',
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
        h('dt', {}, 'Cut'),
        h('dd', { id: 'task-cut' }, cutLabel(task)),
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
    if (isDisabled(retry)) return;
    setDisabled(retry, true);
    context.api.retryTask(task.id).then(
      () => {
        context.announce(`${task.title}: queued for processing again.`);
        // Polls again: the new status re-renders the page (this button goes with it).
        refresh();
      },
      (error: unknown) => {
        setDisabled(retry, false);
        reportFailure(context, alert, error);
      },
    );
  });
  return h('div', { class: 'retry' }, retry);
}

function cutLabel(task: Task): string {
  const start = task.clip.startSeconds;
  const edit = task.revision === 1 ? 'first edit' : `edit ${task.revision}`;
  return `From ${formatTime(start)}, poster at ${formatTime(start + task.posterSeconds)} (${edit})`;
}

/**
 * "Change the cut": the editor against the stored original (a fresh presigned URL, asked for when it opens), then
 * PATCH with the new cut. On 202 the poll follows the task through processing to its next revision; a refusal
 * (409 while it is edited, 429 past the daily re-cuts) is shown at the editor, which stays open.
 */
function cutControl(context: ViewContext, task: Task, refresh: () => void): HTMLElement {
  const section = h('section', { class: 'cut-control', 'aria-labelledby': 'cut-heading' });
  // The API re-cuts a processed task, and a failed one whose upload is stored (a start past the end is fixed so).
  if (task.status !== 'processed' && !(task.status === 'failed' && task.original !== undefined))
    return section;
  const open = h(
    'button',
    { type: 'button', 'aria-expanded': 'false', 'aria-controls': 'cut-panel' },
    'Change the cut…',
  );
  const panel = h('div', { id: 'cut-panel', hidden: true });
  const alert = alertBox('cut-alert');
  const status = h('p', { id: 'cut-status', class: 'hint', role: 'status' });
  const save = h('button', { type: 'button', class: 'primary' }, 'Re-cut the video');
  const cancel = h('button', { type: 'button' }, 'Cancel');
  let editor: CutEditor | null = null;

  const close = (): void => {
    editor?.dispose();
    editor = null;
    replaceChildren(panel);
    panel.hidden = true;
    open.setAttribute('aria-expanded', 'false');
    open.focus();
  };
  open.addEventListener('click', () => {
    if (isDisabled(open)) return;
    if (editor !== null) {
      close();
      return;
    }
    setDisabled(open, true);
    showAlert(alert, null);
    // The page's URLs may be minutes old: the original's is asked for now, valid for the next 5 minutes.
    context.api
      .getTask(task.id)
      .then(
        (fresh) => {
          if (fresh.original === undefined) {
            showAlert(alert, 'The original of this video is not stored any more.');
            return;
          }
          editor = cutEditor({
            id: 'cut',
            source: fresh.original.url,
            fileName: task.fileName,
            initial: { clip: fresh.clip, posterSeconds: fresh.posterSeconds },
            announce: (message) => {
              context.announce(message);
            },
            renewSource: async () => (await context.api.getTask(task.id)).original?.url,
          });
          replaceChildren(panel, editor.element, h('div', { class: 'actions' }, cancel, save), status);
          panel.hidden = false;
          open.setAttribute('aria-expanded', 'true');
          panel.querySelector<HTMLElement>('video')?.focus();
        },
        (error: unknown) => {
          reportFailure(context, alert, error);
        },
      )
      .finally(() => {
        setDisabled(open, false);
      });
  });
  cancel.addEventListener('click', close);
  save.addEventListener('click', () => {
    const cut = editor?.cut();
    if (isDisabled(save) || cut === undefined || cut === null) return;
    setDisabled(save, true);
    showAlert(alert, null);
    status.textContent = '';
    context.api
      .changeCut(task.id, cut)
      .then(
        (updated) => {
          if (updated.revision === task.revision) {
            status.textContent = 'That is the cut this edit already has: nothing to change.';
            return;
          }
          context.announce(`${task.fileName}: re-cutting from ${formatTime(cut.clip.startSeconds)}.`);
          // The poll sees the task back in 'uploaded' and re-renders the page (this editor goes with it).
          refresh();
        },
        (error: unknown) => {
          reportFailure(context, alert, error);
        },
      )
      .finally(() => {
        setDisabled(save, false);
      });
  });
  section.append(
    h('h2', { id: 'cut-heading' }, 'The cut'),
    h(
      'p',
      { class: 'hint' },
      'Choose which 16 s of the original become the edit, and its poster frame. The video is edited again from the stored original; its votes stay with it.',
    ),
    open,
    alert,
    panel,
  );
  return section;
}

/** A modal <dialog>: it traps focus, closes on Escape and returns focus to the button that opened it. */
function deleteControl(context: ViewContext, task: Task, alert: HTMLElement): HTMLElement {
  const confirm = h('button', { type: 'button', class: 'danger' }, 'Delete');
  const cancel = h('button', { type: 'button' }, 'Cancel');
  const dialog = h(
    'dialog',
    { 'aria-labelledby': 'delete-heading', 'aria-describedby': 'delete-text' },
    h('h2', { id: 'delete-heading' }, `Delete ${task.fileName}?`),
    h('p', { id: 'delete-text' }, `This removes ${whatExists(task)}. It cannot be undone.`),
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
    if (isDisabled(confirm)) return;
    setDisabled(confirm, true);
    context.api
      .deleteTask(task.id)
      .then(
        () => {
          dialog.close();
          context.uploads.forget(task.id);
          context.flash(`Deleted ${task.fileName}.`);
          context.navigate('#/');
        },
        (error: unknown) => {
          dialog.close();
          reportFailure(context, alert, error);
        },
      )
      .finally(() => {
        setDisabled(confirm, false);
      });
  });
  return h('div', { class: 'danger-zone' }, open, dialog);
}

/**
 * For a task still awaiting its upload: the progress of this browser's upload, or — once it stopped —
 * resume (choose the same file again: storage keeps the parts already sent) or cancel. A task with no
 * upload remembered here can be given a fresh one the same way.
 */
function uploadControl(context: ViewContext, task: Task, alert: HTMLElement): HTMLElement {
  const section = h('div', { class: 'upload-control' });
  if (task.status !== 'awaiting_upload') return section;
  const state = context.uploads.state(task.id);
  if (state?.kind === 'sent') {
    section.append(h('p', { class: 'hint' }, 'Upload complete. Processing starts in a moment.'));
    return section;
  }
  const cancel = h('button', { type: 'button', class: 'danger' }, 'Cancel upload');
  cancel.addEventListener('click', () => {
    if (isDisabled(cancel)) return;
    setDisabled(cancel, true);
    context.uploads.forget(task.id);
    context.api.deleteTask(task.id).then(
      () => {
        context.flash(`Cancelled the upload of ${task.fileName}.`);
        context.navigate('#/');
      },
      (error: unknown) => {
        setDisabled(cancel, false);
        reportFailure(context, alert, error);
      },
    );
  });
  if (state?.kind === 'uploading') {
    const percent = percentOf(state);
    section.append(
      h('label', { for: 'task-upload-progress' }, uploadLabel(state)),
      h('progress', { id: 'task-upload-progress', max: 100, value: percent }),
      h('p', { class: 'hint' }, `${formatBytes(state.loaded)} of ${formatBytes(state.total)}`),
      cancel,
    );
    return section;
  }
  const saved = context.uploads.saved(task.id);
  const input = h('input', { id: 'resume-file', type: 'file', accept: 'video/*' });
  section.append(
    h(
      'p',
      { class: 'hint' },
      saved === undefined
        ? 'This video has not been uploaded yet. Choose the file to upload it.'
        : `Upload interrupted — resume or cancel. To resume, choose ${saved.fileName} again: the parts already sent are kept.`,
    ),
    h('label', { for: 'resume-file' }, saved === undefined ? 'Upload the video' : 'Resume the upload'),
    input,
    cancel,
  );
  input.addEventListener('change', () => {
    const file = input.files?.[0];
    if (file === undefined) return;
    showAlert(alert, null);
    if (saved !== undefined && !sameFile(saved, file)) {
      showAlert(alert, `That is not the file this upload was sending. Choose ${saved.fileName} again.`);
      return;
    }
    void (async () => {
      const plan = saved?.plan ?? (await context.api.startMultipartUpload(task.id));
      await context.uploads.run(context.api, task.id, file, plan);
      context.announce(`${file.name} uploaded. Processing starts now.`);
      context.navigate(`#/tasks/${task.id}`);
    })().catch((error: unknown) => {
      reportFailure(context, alert, error);
    });
  });
  return section;
}

/** What a delete removes, as it is: a failed or waiting task may have no edit, or no upload at all. */
function whatExists(task: Task): string {
  if (task.processed !== undefined) return 'the original and the edited video';
  if (task.original !== undefined) return 'the uploaded original';
  return 'this video and anything uploaded for it';
}
