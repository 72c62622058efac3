/** Labelled inputs whose errors are tied to them with aria-describedby and aria-invalid. */
import type { FieldError } from '../api';
import { h } from '../dom';

export interface Field {
  name: string;
  element: HTMLDivElement;
  input: HTMLInputElement;
  setError(message: string | null): void;
}

export function field(
  formId: string,
  name: string,
  label: string,
  attributes: Record<string, string | boolean>,
  hint?: string,
): Field {
  const id = `${formId}-${name}`;
  const hintElement = hint === undefined ? null : h('p', { id: `${id}-hint`, class: 'hint' }, hint);
  const error = h('p', { id: `${id}-error`, class: 'field-error', hidden: true });
  const input = h('input', { id, name, ...attributes });
  const describe = (withError: boolean) => {
    const ids = [hintElement?.id, withError ? error.id : undefined].filter((value) => value !== undefined);
    if (ids.length > 0) input.setAttribute('aria-describedby', ids.join(' '));
    else input.removeAttribute('aria-describedby');
  };
  describe(false);
  return {
    name,
    input,
    element: h('div', { class: 'field' }, h('label', { for: id }, label), hintElement, input, error),
    setError(message) {
      error.textContent = message ?? '';
      error.hidden = message === null;
      if (message === null) input.removeAttribute('aria-invalid');
      else input.setAttribute('aria-invalid', 'true');
      describe(message !== null);
    },
  };
}

/**
 * Puts each API field error next to its input, one line per rule, and focuses the first invalid one;
 * returns the errors that match no input so the caller can show them with the form's message.
 */
export function showFieldErrors(fields: Field[], errors: FieldError[]): FieldError[] {
  for (const each of fields)
    each.setError(
      errors
        .filter((error) => error.field === each.name)
        .map((error) => error.message)
        .join('\n') || null,
    );
  fields.find((each) => each.input.getAttribute('aria-invalid') === 'true')?.input.focus();
  return errors.filter((error) => !fields.some((each) => each.name === error.field));
}

/** A new password and its repetition (password1, password2), with the policy as the hint. */
export function newPasswordFields(formId: string, label: string, repeatLabel: string): [Field, Field] {
  return [
    field(
      formId,
      'password1',
      label,
      { type: 'password', autocomplete: 'new-password', required: true },
      'At least 8 characters, with an upper-case letter, a lower-case letter and a digit',
    ),
    field(formId, 'password2', repeatLabel, {
      type: 'password',
      autocomplete: 'new-password',
      required: true,
    }),
  ];
}
