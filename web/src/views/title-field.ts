/**
 * A video's title (docs/spec.md §9) in the console: the upload box's field and the editor on the video's page.
 * The API validates (1–80 characters, no control characters); these only prefill and report its answer.
 */
import { ApiError, type Task } from '../api';
import { reportFailure, showAlert, type ViewContext } from '../context';
import { h, isDisabled, setDisabled } from '../dom';
import { field, showFieldErrors } from './form';

const TITLE_ATTRIBUTES = { type: 'text', maxlength: '80', autocomplete: 'off', spellcheck: 'true' } as const;

/** The API's default title: the file name without its extension (a leading dot is no extension). */
export function titleFromFileName(name: string): string {
  const dot = name.lastIndexOf('.');
  return (dot > 0 ? name.slice(0, dot) : name).trim() || name.trim();
}

export interface UploadTitleField {
  element: HTMLElement;
  /** Prefills from the chosen files: one file gets an editable title, several keep their defaults. */
  chosen(files: readonly File[]): void;
  /** The title to send for this file, or undefined for the API's default. */
  titleFor(file: File): string | undefined;
  /** False, with the reason at the field, when the one file's title is blank (the API needs 1–80 characters). */
  check(): boolean;
  reset(): void;
}

export function uploadTitleField(): UploadTitleField {
  const title = field(
    'upload',
    'title',
    'Title',
    { ...TITLE_ATTRIBUTES },
    'Shown in the gallery and on your pilot page.',
  );
  const several = h(
    'p',
    { class: 'hint', hidden: true },
    'Each video is titled after its file; rename it on its page.',
  );
  title.element.hidden = true;
  let single: File | null = null;
  return {
    element: h('div', { class: 'upload-title' }, title.element, several),
    chosen(files) {
      single = files.length === 1 ? (files[0] ?? null) : null;
      title.element.hidden = single === null;
      several.hidden = files.length < 2;
      title.input.value = single === null ? '' : titleFromFileName(single.name);
      title.setError(null);
    },
    check() {
      const blank = single !== null && title.input.value.trim() === '';
      title.setError(blank ? 'Enter a title.' : null);
      if (blank) title.input.focus();
      return !blank;
    },
    titleFor(file) {
      return file === single ? title.input.value : undefined;
    },
    reset() {
      single = null;
      title.element.hidden = true;
      several.hidden = true;
      title.input.value = '';
    },
  };
}

/** On the owner's video page: rename it; the gallery shows the new title within its cache time. */
export function titleEditor(
  context: ViewContext,
  task: Task,
  alert: HTMLElement,
  renamed: (task: Task) => void,
): HTMLElement {
  const title = field(`title-${task.id}`, 'title', 'Title', { ...TITLE_ATTRIBUTES, required: true });
  title.input.value = task.title;
  const save = h('button', { type: 'submit' }, 'Save title');
  const form = h('form', { class: 'title-editor', novalidate: true }, title.element, save);
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    if (isDisabled(save)) return;
    setDisabled(save, true);
    title.setError(null);
    context.api
      .renameTask(task.id, title.input.value)
      .then(
        (updated) => {
          title.input.value = updated.title;
          showAlert(alert, null);
          context.announce(`Title saved: ${updated.title}.`);
          renamed(updated);
        },
        (error: unknown) => {
          if (
            error instanceof ApiError &&
            showFieldErrors([title], error.errors).length < error.errors.length
          )
            return;
          reportFailure(context, alert, error);
        },
      )
      .finally(() => {
        setDisabled(save, false);
      });
  });
  return form;
}
