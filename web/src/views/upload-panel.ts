/**
 * Pick or drop videos, create a task for each, upload them one after another straight to storage in
 * resumable parts with a progress bar. The checks here only spare the pilot a round trip; the API and
 * the part signatures are the authority.
 */
import type { Cut, Task, UploadTicket } from '../api';
import { alertBox, reportFailure, showAlert, type ViewContext } from '../context';
import { h, isDisabled, setDisabled } from '../dom';
import { describeError, formatBytes } from '../messages';
import { FileRejectedError } from '../upload';
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

/** A client-side reason not to upload, or null when the file may go. */
export function rejectFile(
  file: { name: string; type: string; size: number },
  ticket?: Pick<UploadTicket, 'maxBytes'>,
): string | null {
  if (videoContentType(file) === null)
    return `${file.name} is not a video file. Choose an MP4, MOV, MKV, WebM or AVI video.`;
  if (file.size === 0) return `${file.name} is empty.`;
  if (ticket !== undefined && file.size > ticket.maxBytes)
    return `${file.name} is ${formatBytes(file.size)}; the limit is ${formatBytes(ticket.maxBytes)}.`;
  return null;
}

export interface UploadPanel {
  element: HTMLElement;
  /** The list's latest tasks: the panel tells how the last upload's processing ended. */
  follow(tasks: readonly Task[]): void;
}

export function uploadPanel(context: ViewContext, onTasksChanged: () => void): UploadPanel {
  /** The last task this panel uploaded, until its processing ends. */
  let uploadedId: number | null = null;
  const input = h('input', {
    id: 'video-file',
    name: 'video',
    type: 'file',
    accept: 'video/*',
    multiple: true,
    required: true,
    'aria-describedby': 'video-file-hint',
  });
  const choice = publicationChoice();
  const cut = uploadCut((message) => {
    context.announce(message);
  });
  input.addEventListener('change', () => {
    cut.choose([...(input.files ?? [])]);
  });
  const submit = h('button', { type: 'submit', class: 'primary' }, 'Upload');
  const title = uploadTitleField();
  input.addEventListener('change', () => {
    title.chosen([...(input.files ?? [])]);
  });
  const alert = alertBox('upload-alert');
  const progress = h('progress', {
    id: 'upload-progress',
    max: 100,
    value: 0,
    'aria-labelledby': 'upload-progress-label',
    'aria-describedby': 'upload-progress-text',
  });
  const progressLabel = h('label', { id: 'upload-progress-label', for: 'upload-progress' });
  const progressText = h('p', { id: 'upload-progress-text', class: 'hint' });
  const progressBlock = h(
    'div',
    { class: 'progress-block', hidden: true },
    progressLabel,
    progress,
    progressText,
  );

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
        'MP4, MOV, MKV, WebM or AVI, up to 500 MiB each; choose several or drop them here. The league edit is a 2 s logo card, 16 seconds of your video (the first 16, or for a single file the ones you choose), and a 2 s logo card.',
      ),
      input,
    ),
    title.element,
    cut.element,
    choice.element,
    submit,
  );

  const setProgress = (loaded: number, total: number) => {
    const percent = total === 0 ? 0 : Math.floor((loaded / total) * 100);
    progress.value = percent;
    progressText.textContent = `${percent}% — ${formatBytes(loaded)} of ${formatBytes(total)}`;
  };

  const uploadAll = (files: File[]) => {
    if (isDisabled(submit)) return;
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
    const cuts = files.map((file) => cut.cutFor(file));
    if (cuts.includes(null)) return;
    setDisabled(submit, true);
    setDisabled(input, true);
    void (async () => {
      const failures: string[] = [];
      for (const [index, file] of files.entries()) {
        try {
          await upload(file, cuts[index] ?? {});
        } catch (error) {
          // A refused title is shown at its field, and the form keeps the choice to correct it.
          if (title.showError(error)) {
            progressBlock.hidden = true;
            return;
          }
          failures.push(`${file.name}: ${describeError(error)}`);
          reportFailure(context, alert, error);
        }
      }
      if (failures.length > 0) {
        progressBlock.hidden = true;
        showAlert(
          alert,
          `${failures.join('\n')}\nAn interrupted upload is kept: open it in the list to resume or cancel it.`,
        );
      }
      form.reset();
      title.reset();
      cut.reset();
    })().finally(() => {
      setDisabled(submit, false);
      setDisabled(input, false);
      onTasksChanged();
    });
  };

  form.addEventListener('submit', (event) => {
    event.preventDefault();
    uploadAll([...(input.files ?? [])]);
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
    uploadAll([...(event.dataTransfer?.files ?? [])]);
  });

  async function upload(file: File, chosenCut: Partial<Cut>): Promise<void> {
    const contentType = videoContentType(file) ?? 'application/octet-stream';
    progressBlock.hidden = false;
    progressLabel.textContent = `Uploading ${file.name}`;
    setProgress(0, file.size);
    context.announce(`Uploading ${file.name}.`);
    const task = await context.api.createTask({
      fileName: file.name,
      contentType,
      size: file.size,
      public: choice.isPublic(),
      title: title.titleFor(file),
      ...chosenCut,
    });
    onTasksChanged();
    const tooLarge = rejectFile(file, task.upload);
    if (tooLarge !== null) throw new FileRejectedError(tooLarge);
    const plan = await context.api.startMultipartUpload(task.id);
    const unsubscribe = context.uploads.subscribe(() => {
      const state = context.uploads.state(task.id);
      if (state?.kind === 'uploading') setProgress(state.loaded, state.total);
    });
    try {
      await context.uploads.run(context.api, task.id, file, plan);
    } finally {
      unsubscribe();
    }
    uploadedId = task.id;
    progressLabel.textContent = `Uploaded ${file.name}`;
    progressText.textContent = `Upload complete — ${formatBytes(file.size)}. Processing starts now.`;
    context.announce(`${file.name} uploaded. Processing starts now.`);
  }

  card.append(h('h2', { id: 'upload-heading' }, 'Upload race videos'), form, progressBlock, alert);
  const follow = (tasks: readonly Task[]) => {
    const task = tasks.find((candidate) => candidate.id === uploadedId);
    if (task === undefined || (task.status !== 'processed' && task.status !== 'failed')) return;
    uploadedId = null;
    if (task.status === 'failed') {
      progressLabel.textContent = `Processing ${task.title} failed`;
      progressText.textContent = task.failureReason ?? 'The video could not be processed.';
    } else {
      progressLabel.textContent = `${task.title} is ready`;
      progressText.textContent =
        'The league edit is processed: open it in the list below to play or download it.';
    }
  };
  return { element: card, follow };
}
