/**
 * The cut before uploading: for a single chosen video, the pilot may open the cut editor on the local file (an
 * object URL: nothing is sent to play it) and the chosen clip and poster go with the task's creation. Several
 * files, or files dropped on the card, keep the default cut (the first 16 s, the first frame).
 */
import type { Cut } from '../api';
import { h } from '../dom';
import { cutEditor, type CutEditor } from './cut-editor';

export interface UploadCut {
  element: HTMLElement;
  /** Follows the file input: the editor is offered for exactly one file. */
  choose(files: readonly File[]): void;
  /**
   * The cut to send with `file`'s task: {} for the default, null when the editor holds no valid cut (its field
   * says why and has focus).
   */
  cutFor(file: File): Partial<Cut> | null;
  reset(): void;
}

export function uploadCut(announce: (message: string) => void): UploadCut {
  const open = h(
    'button',
    { type: 'button', 'aria-expanded': 'false', 'aria-controls': 'upload-cut-panel' },
    'Choose the 16 s and the poster…',
  );
  const panel = h('div', { id: 'upload-cut-panel', hidden: true });
  const element = h('div', { class: 'upload-cut', hidden: true }, open, panel);
  let file: File | null = null;
  let editor: { cut: CutEditor; url: string } | null = null;

  const close = (): void => {
    if (editor !== null) {
      editor.cut.dispose();
      URL.revokeObjectURL(editor.url);
    }
    editor = null;
    panel.replaceChildren();
    panel.hidden = true;
    open.hidden = false;
    open.setAttribute('aria-expanded', 'false');
  };
  open.addEventListener('click', () => {
    if (file === null || editor !== null) return;
    const url = URL.createObjectURL(file);
    editor = {
      url,
      cut: cutEditor({ id: 'upload-cut', source: url, fileName: file.name, announce }),
    };
    panel.append(editor.cut.element);
    panel.hidden = false;
    open.hidden = true;
    open.setAttribute('aria-expanded', 'true');
    panel.querySelector<HTMLElement>('video')?.focus();
  });

  return {
    element,
    choose(files) {
      close();
      file = files.length === 1 ? (files[0] ?? null) : null;
      element.hidden = file === null;
    },
    cutFor(candidate) {
      if (editor === null || candidate !== file) return {};
      return editor.cut.cut();
    },
    reset() {
      close();
      file = null;
      element.hidden = true;
    },
  };
}
