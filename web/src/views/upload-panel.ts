/**
 * Pick a video, create its task, upload it straight to storage with a progress bar. The checks here
 * only spare the pilot a round trip; the API and the presigned policy are the authority.
 */
import type { UploadTicket } from '../api';
import { alertBox, reportFailure, showAlert, type ViewContext } from '../context';
import { h } from '../dom';
import { formatBytes } from '../messages';
import { FileRejectedError, uploadToStorage } from '../upload';

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

export function uploadPanel(context: ViewContext, onTasksChanged: () => void): HTMLElement {
  const input = h('input', {
    id: 'video-file',
    name: 'video',
    type: 'file',
    accept: 'video/*',
    required: true,
    'aria-describedby': 'video-file-hint',
  });
  const submit = h('button', { type: 'submit', class: 'primary' }, 'Upload');
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
      h('label', { for: 'video-file' }, 'Video file'),
      h(
        'p',
        { id: 'video-file-hint', class: 'hint' },
        'MP4, MOV, MKV, WebM or AVI. The league edit keeps the first 16 seconds.',
      ),
      input,
    ),
    submit,
  );

  const setProgress = (loaded: number, total: number) => {
    const percent = total === 0 ? 0 : Math.floor((loaded / total) * 100);
    progress.value = percent;
    progressText.textContent = `${percent}% — ${formatBytes(loaded)} of ${formatBytes(total)}`;
  };

  form.addEventListener('submit', (event) => {
    event.preventDefault();
    showAlert(alert, null);
    const file = input.files?.[0];
    if (file === undefined) {
      showAlert(alert, 'Choose a video file first.');
      input.focus();
      return;
    }
    const contentType = videoContentType(file);
    const rejection = rejectFile(file);
    if (contentType === null || rejection !== null) {
      showAlert(alert, rejection);
      return;
    }
    submit.disabled = true;
    input.disabled = true;
    progressBlock.hidden = false;
    progressLabel.textContent = `Uploading ${file.name}`;
    setProgress(0, file.size);
    context.announce(`Uploading ${file.name}.`);
    void upload(file, contentType)
      .then(
        () => {
          progressLabel.textContent = `Uploaded ${file.name}`;
          progressText.textContent = `Upload complete — ${formatBytes(file.size)}. Processing starts now.`;
          context.announce(`${file.name} uploaded. Processing starts now.`);
          form.reset();
        },
        (error: unknown) => {
          progressBlock.hidden = true;
          reportFailure(context, alert, error);
        },
      )
      .finally(() => {
        submit.disabled = false;
        input.disabled = false;
      });
  });

  async function upload(file: File, contentType: string): Promise<void> {
    const task = await context.api.createTask({ fileName: file.name, contentType, size: file.size });
    onTasksChanged();
    const tooLarge = rejectFile(file, task.upload);
    if (tooLarge !== null) throw new FileRejectedError(tooLarge);
    await uploadToStorage(task.upload, file, ({ loaded, total }) => {
      setProgress(loaded, total);
    });
    onTasksChanged();
  }

  return h(
    'section',
    { class: 'card upload', 'aria-labelledby': 'upload-heading' },
    h('h2', { id: 'upload-heading' }, 'Upload a race video'),
    form,
    progressBlock,
    alert,
  );
}
