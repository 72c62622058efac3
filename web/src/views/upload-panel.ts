/**
 * Pick or drop videos: each joins the upload queue (upload-queue.ts) with the form's choices, or resumes its
 * interrupted upload, and shows its own progress, place ("2 of 3"), Cancel and outcome; more can be added while
 * others upload. The checks here only spare the pilot a round trip; the API and the part signatures are the
 * authority.
 */
import { ApiError, SessionExpiredError, type Task } from '../api';
import { alertBox, showAlert, type ViewContext } from '../context';
import { h } from '../dom';
import { describeError, formatBytes } from '../messages';
import type { QueueItem } from '../upload-queue';
import { percentOf } from '../uploads';
import { publicationChoice } from './publication-choice';
import { uploadTitleField } from './title-field';
import { uploadCut } from './upload-cut';

/** Browsers leave File.type empty for some containers (often .mkv and .avi); the extension then helps. */
const TYPES_BY_EXTENSION: Record<string, string> = {
  mp4: 'video/mp4',
  m4v: 'video/mp4',
  mov: 'video/quicktime',
  mkv: 'video/x-matroska',
  webm: 'video/webm',
  avi: 'video/x-msvideo',
};

/**
 * The content type to declare, or null for a file the browser knows is not a video. An unknown type
 * goes as application/octet-stream: the worker decides by content, not by name.
 */
export function videoContentType(file: { name: string; type: string }): string | null {
  if (file.type.startsWith('video/')) return file.type;
  if (file.type !== '') return null;
  const extension = file.name.split('.').pop()?.toLowerCase() ?? '';
  return TYPES_BY_EXTENSION[extension] ?? 'application/octet-stream';
}

/**
 * A client-side reason not to upload, or null when the file may go. A file over the size limit is the API's to
 * refuse (413, naming the limit): the console does not know the limit before it asks.
 */
export function rejectFile(file: { name: string; type: string; size: number }): string | null {
  if (videoContentType(file) === null)
    return `${file.name} is not a video file. Choose an MP4, MOV, MKV, WebM or AVI video.`;
  if (file.size === 0) return `${file.name} is empty.`;
  return null;
}

export interface UploadPanel {
  element: HTMLElement;
  /** The list's latest tasks: each uploaded file's row tells how its processing ended. */
  follow(tasks: readonly Task[]): void;
  dispose(): void;
}

export function uploadPanel(context: ViewContext, onTasksChanged: () => void): UploadPanel {
  const queue = context.queue;
  const input = h('input', {
    id: 'video-file',
    name: 'video',
    type: 'file',
    accept: 'video/*',
    multiple: true,
    required: true,
    'aria-describedby': 'video-file-hint video-file-resumes',
  });
  const choice = publicationChoice();
  const cut = uploadCut((message) => {
    context.announce(message);
  });
  const title = uploadTitleField();
  // Said as soon as the file is chosen: such a file continues its task, with the title, visibility and cut it has.
  const resumes = h('p', { id: 'video-file-resumes', class: 'hint resume-hint', hidden: true });
  input.addEventListener('change', () => {
    const files = [...(input.files ?? [])];
    const resuming = files.filter((file) => context.uploads.savedFor(file) !== undefined);
    const fresh = files.filter((file) => !resuming.includes(file));
    title.chosen(fresh);
    cut.choose(fresh);
    resumes.textContent = resuming
      .map(
        (file) =>
          `${file.name} resumes its interrupted upload: the parts already sent are kept, and it keeps the title, visibility and cut it was given.`,
      )
      .join('\n');
    resumes.hidden = resuming.length === 0;
  });
  const submit = h('button', { type: 'submit', class: 'primary' }, 'Upload');
  const alert = alertBox('upload-alert');

  const form = h(
    'form',
    { id: 'upload', novalidate: true, 'aria-labelledby': 'upload-heading' },
    h(
      'div',
      { class: 'field' },
      h('label', { for: 'video-file' }, 'Video files'),
      h(
        'p',
        { id: 'video-file-hint', class: 'hint' },
        'MP4, MOV, MKV, WebM or AVI, up to 500 MiB each; choose several or drop them here, also while others upload. The league edit is a 2 s logo card, 16 seconds of your video (the first 16, or for a single file the ones you choose), and a 2 s logo card.',
      ),
      input,
      resumes,
    ),
    title.element,
    cut.element,
    choice.element,
    submit,
  );

  const queued = queueView(context, (item) => {
    if (item.state.kind === 'failed' && item.state.error instanceof SessionExpiredError)
      context.sessionExpired();
    onTasksChanged();
  });

  const addFiles = (files: File[]) => {
    showAlert(alert, null);
    if (files.length === 0) {
      showAlert(alert, 'Choose a video file first.');
      input.focus();
      return;
    }
    const rejections = files.map((file) => rejectFile(file)).filter((rejection) => rejection !== null);
    if (rejections.length > 0) {
      showAlert(alert, rejections.join('\n'));
      return;
    }
    if (!title.check()) return;
    const cuts = files.map((file) => cut.cutFor(file));
    if (cuts.includes(null)) return;
    const refusals: string[] = [];
    for (const [index, file] of files.entries()) {
      const added = queue.add(file, {
        contentType: videoContentType(file) ?? 'application/octet-stream',
        public: choice.isPublic(),
        title: title.titleFor(file),
        cut: cuts[index] ?? {},
      });
      if (added === 'queued') refusals.push(`${file.name} is already in the queue.`);
      else if (added === 'uploading')
        refusals.push(`${file.name} is already uploading: its page in the list shows the progress.`);
    }
    if (refusals.length > 0) showAlert(alert, refusals.join('\n'));
    form.reset();
    title.reset();
    cut.reset();
    resumes.hidden = true;
  };

  form.addEventListener('submit', (event) => {
    event.preventDefault();
    addFiles([...(input.files ?? [])]);
  });
  // The whole card is a drop target: a pilot on a laptop drags clips from the SD card's folder.
  const card = h('section', { class: 'card upload', 'aria-labelledby': 'upload-heading' });
  card.addEventListener('dragover', (event) => {
    event.preventDefault();
    card.classList.add('dragging');
  });
  card.addEventListener('dragleave', () => {
    card.classList.remove('dragging');
  });
  card.addEventListener('drop', (event) => {
    event.preventDefault();
    card.classList.remove('dragging');
    addFiles([...(event.dataTransfer?.files ?? [])]);
  });

  card.append(h('h2', { id: 'upload-heading' }, 'Upload race videos'), form, alert, queued.element);
  return { element: card, follow: queued.follow, dispose: queued.dispose };
}

/** What the queue shows of one item, kept across redraws so focus on its Cancel survives progress updates. */
interface Row {
  element: HTMLLIElement;
  progress: HTMLProgressElement;
  text: HTMLParagraphElement;
  cancel: HTMLButtonElement;
  position: HTMLSpanElement;
  resumed: HTMLParagraphElement;
  /** The state last drawn, to tell each change once (its notice, a refresh of the list). */
  drawn: string;
}

/**
 * The queue's rows, its "1 of 3 uploaded", a confirmation before a Cancel, and a log region with a line for
 * every file that ended (uploaded, failed or cancelled), so each one is read out, not only the last.
 */
function queueView(
  context: ViewContext,
  settled: (item: QueueItem) => void,
): Pick<UploadPanel, 'element' | 'follow' | 'dispose'> {
  const queue = context.queue;
  const summary = h('p', { id: 'upload-summary', class: 'upload-summary' });
  const list = h('ol', { id: 'upload-queue', class: 'upload-queue', 'aria-labelledby': 'upload-summary' });
  const notices = h('div', {
    id: 'upload-notices',
    class: 'upload-notices',
    role: 'log',
    'aria-live': 'polite',
    'aria-label': 'Upload notices',
  });
  const rows = new Map<number, Row>();
  /** Processing outcomes by task id, from the list's polls. */
  const processed = new Map<number, Task>();

  const confirmText = h('p', { id: 'upload-cancel-text' });
  const confirmHeading = h('h2', { id: 'upload-cancel-heading' });
  const keep = h('button', { type: 'button' }, 'Keep uploading');
  const confirm = h('button', { type: 'button', class: 'danger' }, 'Cancel upload');
  const dialog = h(
    'dialog',
    { id: 'upload-cancel', 'aria-labelledby': confirmHeading.id, 'aria-describedby': confirmText.id },
    confirmHeading,
    confirmText,
    h('div', { class: 'actions' }, keep, confirm),
  );
  let cancelling: QueueItem | null = null;
  keep.addEventListener('click', () => {
    dialog.close();
  });
  confirm.addEventListener('click', () => {
    if (cancelling !== null) queue.cancel(cancelling.key);
    dialog.close();
  });
  dialog.addEventListener('close', () => {
    cancelling = null;
  });
  const askToCancel = (item: QueueItem) => {
    cancelling = item;
    confirmHeading.textContent = `Cancel the upload of ${item.file.name}?`;
    confirmText.textContent =
      item.state.kind === 'waiting'
        ? 'It has not started: nothing of it is sent. Your other uploads go on.'
        : 'The video and the parts sent so far are deleted. Your other uploads go on.';
    dialog.showModal();
    // The safe answer first: Enter or Space right away keeps the upload.
    keep.focus();
  };

  const rowFor = (item: QueueItem): Row => {
    const existing = rows.get(item.key);
    if (existing !== undefined) return existing;
    const id = `upload-item-${item.key}`;
    const position = h('span', { class: 'upload-position' });
    const name = h(
      'p',
      { id: `${id}-label`, class: 'upload-name' },
      h('strong', {}, item.file.name),
      ' ',
      position,
    );
    const progress = h('progress', {
      id: `${id}-progress`,
      max: 100,
      value: 0,
      'aria-labelledby': name.id,
      'aria-describedby': `${id}-text`,
    });
    const text = h('p', { id: `${id}-text`, class: 'hint upload-text' });
    const resumed = h(
      'p',
      { class: 'hint' },
      'Resumes its interrupted upload: the parts already sent are kept.',
    );
    const cancel = h(
      'button',
      { type: 'button', class: 'danger', 'aria-label': `Cancel the upload of ${item.file.name}…` },
      'Cancel…',
    );
    cancel.addEventListener('click', () => {
      askToCancel(item);
    });
    const row: Row = {
      element: h('li', { id, class: 'upload-item' }, name, progress, text, resumed, cancel),
      progress,
      text,
      cancel,
      position,
      resumed,
      drawn: '',
    };
    rows.set(item.key, row);
    return row;
  };

  let batch: readonly QueueItem[] | null = null;
  let mounted = false;
  const draw = () => {
    const items = queue.items();
    // A new batch starts its notices over, as its count does.
    if (items !== batch) notices.replaceChildren();
    batch = items;
    for (const [key, row] of rows)
      if (!items.some((item) => item.key === key)) {
        row.element.remove();
        rows.delete(key);
      }
    for (const item of items) {
      const row = rowFor(item);
      drawRow(row, item);
      if (row.element.parentElement !== list) list.append(row.element);
      const now = `${item.state.kind} ${item.taskId}`;
      if (row.drawn !== now) {
        const first = row.drawn === '';
        row.drawn = now;
        changedTo(item, first);
      }
    }
    const { uploaded, total } = queue.progress();
    summary.textContent = total === 0 ? '' : `${uploaded} of ${total} uploaded`;
    summary.hidden = total === 0;
  };

  const drawRow = (row: Row, item: QueueItem) => {
    const place = queue.position(item);
    row.position.textContent = `(${place})`;
    row.element.dataset.state = item.state.kind;
    const pending = item.state.kind === 'waiting' || item.state.kind === 'uploading';
    row.cancel.hidden = !pending;
    row.resumed.hidden = !pending || item.resumes === null;
    row.progress.hidden = item.state.kind !== 'uploading' && item.state.kind !== 'uploaded';
    switch (item.state.kind) {
      case 'waiting':
        row.text.textContent = 'Waiting: it starts when an upload before it ends.';
        return;
      case 'uploading': {
        const percent = percentOf(item.state);
        row.progress.value = percent;
        row.text.textContent = `${percent}% — ${formatBytes(item.state.loaded)} of ${formatBytes(item.state.total)}`;
        return;
      }
      case 'uploaded': {
        row.progress.value = 100;
        const task = item.taskId === null ? undefined : processed.get(item.taskId);
        if (task?.status === 'failed')
          row.text.textContent = `Processing failed: ${task.failureReason ?? 'the video could not be processed.'}`;
        else if (task?.status === 'processed')
          row.text.textContent = 'Processed: open it in the list below to play or download it.';
        else
          row.text.textContent = `Upload complete — ${formatBytes(item.file.size)}. Processing starts now.`;
        return;
      }
      case 'failed':
        row.text.textContent = failureText(context, item);
        return;
      case 'cancelled':
        row.text.textContent = 'Cancelled.';
    }
  };

  /** Once per change of an item's state: its notice, and a refresh of the list when its task appeared or ended. */
  const changedTo = (item: QueueItem, first: boolean) => {
    const place = queue.position(item);
    if (first && item.resumes !== null)
      notice(`${item.file.name} (${place}) resumes its interrupted upload: the parts already sent are kept.`);
    switch (item.state.kind) {
      case 'uploading':
        if (item.taskId !== null && mounted) settled(item);
        return;
      case 'uploaded':
        notice(`${item.file.name} (${place}) uploaded. Processing starts now.`);
        break;
      case 'failed':
        notice(`${item.file.name} (${place}) did not upload. ${failureText(context, item)}`);
        break;
      case 'cancelled':
        notice(`Cancelled the upload of ${item.file.name} (${place}).`);
        break;
      case 'waiting':
        return;
    }
    if (mounted) settled(item);
  };

  const notice = (message: string) => {
    notices.append(h('p', {}, message));
  };

  // Rows of a batch that started before this view (the pilot came back from a video's page) are drawn without
  // their notices being read again (the log is filled before it is on the page) or the list refreshed.
  mounted = false;
  draw();
  mounted = true;
  const unsubscribe = queue.subscribe(draw);
  return {
    element: h('div', { class: 'upload-queue-block' }, summary, list, notices, dialog),
    follow(tasks) {
      const ids = new Set(queue.items().map((item) => item.taskId));
      for (const task of tasks) if (ids.has(task.id)) processed.set(task.id, task);
      draw();
    },
    dispose: unsubscribe,
  };
}

/** Why an item failed, and what is left of it: an interrupted upload stays resumable from the box or the list. */
function failureText(context: ViewContext, item: QueueItem): string {
  if (item.state.kind !== 'failed') return '';
  const { error } = item.state;
  // A refused field (a title the API will not take) says which rule, not only that the request failed.
  const fields =
    error instanceof ApiError ? error.errors.map((each) => `${each.field}: ${each.message}`) : [];
  const reason =
    fields.length === 0 ? describeError(error) : `${describeError(error)} (${fields.join('; ')}).`;
  return item.taskId !== null && context.uploads.state(item.taskId)?.kind === 'interrupted'
    ? `${reason} The upload is kept: choose the file again to resume it, or cancel it in the list.`
    : reason;
}
