/**
 * Modal dialogs the way the console's others work (the delete dialogs): a native <dialog> opened with showModal(), so
 * focus stays inside and Escape cancels; focus goes to the first control to answer and, when the dialog closes by any
 * way, back to the control that opened it (not every browser restores it by itself).
 */
import { h, type Child } from '../dom';

export interface Modal {
  element: HTMLDialogElement;
  open(opener: HTMLElement, first: HTMLElement): void;
  close(): void;
}

export function modal(
  attributes: { id: string; labelledBy: string; describedBy?: string },
  ...children: Child[]
): Modal {
  const dialog = h(
    'dialog',
    {
      id: attributes.id,
      'aria-labelledby': attributes.labelledBy,
      'aria-describedby': attributes.describedBy,
    },
    ...children,
  );
  let opener: HTMLElement | null = null;
  dialog.addEventListener('close', () => {
    opener?.focus();
    opener = null;
  });
  return {
    element: dialog,
    open(from, first) {
      opener = from;
      dialog.showModal();
      first.focus();
    },
    close() {
      dialog.close();
    },
  };
}

/**
 * A question that cannot be taken back ("Annul every vote…?"): resolves true when confirmed, false on the keep button
 * or Escape. Focus starts on the keep button, so an Enter pressed by habit changes nothing.
 */
export function confirmDialog(
  id: string,
  labels: { keep: string; confirm: string },
): {
  element: HTMLDialogElement;
  ask(opener: HTMLElement, question: string, text: string): Promise<boolean>;
} {
  const heading = h('h2', { id: `${id}-heading` });
  const text = h('p', { id: `${id}-text` });
  const keep = h('button', { type: 'button' }, labels.keep);
  const confirm = h('button', { type: 'button', class: 'danger' }, labels.confirm);
  const dialog = modal(
    { id, labelledBy: heading.id, describedBy: text.id },
    heading,
    text,
    h('div', { class: 'actions' }, keep, confirm),
  );
  let answer: ((confirmed: boolean) => void) | null = null;
  const settle = (confirmed: boolean): void => {
    answer?.(confirmed);
    answer = null;
    dialog.close();
  };
  keep.addEventListener('click', () => {
    settle(false);
  });
  confirm.addEventListener('click', () => {
    settle(true);
  });
  // Escape closes the dialog without a click: that is a "keep".
  dialog.element.addEventListener('close', () => {
    answer?.(false);
    answer = null;
  });
  return {
    element: dialog.element,
    ask(opener, question, body) {
      heading.textContent = question;
      text.textContent = body;
      dialog.open(opener, keep);
      return new Promise((resolve) => {
        answer = resolve;
      });
    },
  };
}
