/**
 * "Delete account" in the header: a modal <dialog> that says what goes and asks for the password again
 * (DELETE /api/auth/me, docs/api.md "Deleting an account"). A wrong password stays in the dialog.
 */
import { ApiError } from '../api';
import { alertBox, reportFailure, showAlert, type ViewContext } from '../context';
import { h, isDisabled, setDisabled } from '../dom';
import { field } from './form';

export function deleteAccountControl(context: ViewContext, onDeleted: () => void): HTMLElement {
  const password = field('delete-account', 'password', 'Your password', {
    type: 'password',
    autocomplete: 'current-password',
    required: true,
  });
  const alert = alertBox('delete-account-alert');
  const confirm = h('button', { type: 'submit', class: 'danger' }, 'Delete my account');
  const cancel = h('button', { type: 'button' }, 'Cancel');
  const form = h(
    'form',
    { novalidate: true },
    h('h2', { id: 'delete-account-heading' }, 'Delete your account?'),
    h(
      'p',
      { id: 'delete-account-text' },
      'This deletes every video you uploaded, original and edit, takes them out of the gallery, withdraws your votes and closes the account. It cannot be undone.',
    ),
    password.element,
    alert,
    h('div', { class: 'actions' }, cancel, confirm),
  );
  const dialog = h(
    'dialog',
    { 'aria-labelledby': 'delete-account-heading', 'aria-describedby': 'delete-account-text' },
    form,
  );
  const open = h('button', { type: 'button', class: 'link' }, 'Delete account');
  open.addEventListener('click', () => {
    password.input.value = '';
    password.setError(null);
    showAlert(alert, null);
    dialog.showModal();
    password.input.focus();
  });
  cancel.addEventListener('click', () => {
    dialog.close();
  });
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    if (isDisabled(confirm)) return;
    if (password.input.value === '') {
      password.setError('Enter your password to confirm.');
      password.input.focus();
      return;
    }
    setDisabled(confirm, true);
    context.api
      .deleteAccount(password.input.value)
      .then(
        () => {
          dialog.close();
          onDeleted();
        },
        (error: unknown) => {
          if (error instanceof ApiError && error.status === 403) {
            password.setError(error.message);
            password.input.focus();
            return;
          }
          reportFailure(context, alert, error);
        },
      )
      .finally(() => {
        setDisabled(confirm, false);
      });
  });
  return h('span', {}, open, dialog);
}
