/** "Forgot password?": a code mailed to the account's email, then a new password with it (docs/console.md). */
import { alertBox, showAlert, type View, type ViewContext } from '../context';
import { h, isDisabled, setDisabled } from '../dom';
import { formSummary } from './auth';
import { field, newPasswordFields, showFieldErrors, type Field } from './form';

/** Said whether or not the account exists: the API's answer is the same for both. */
const CODE_SENT =
  'If an account has that username or email, a 6-digit code is on its way to its email. It is valid for one hour.';

export function passwordResetView(context: ViewContext, onReset: () => void): View {
  const login = field('forgot', 'username', 'Username or email', {
    type: 'text',
    autocomplete: 'username',
    required: true,
    autocapitalize: 'none',
    spellcheck: 'false',
  });
  const requestAlert = alertBox('forgot-alert');
  const requestSubmit = h('button', { type: 'submit', class: 'primary' }, 'Email me a code');
  const requestForm = h(
    'form',
    { id: 'forgot', novalidate: true, 'aria-labelledby': 'reset-heading' },
    login.element,
    requestAlert,
    requestSubmit,
  );

  const fields: Field[] = [
    field('reset', 'code', 'Code from the email', {
      type: 'text',
      inputmode: 'numeric',
      autocomplete: 'one-time-code',
      required: true,
      maxlength: '6',
    }),
    ...newPasswordFields('reset', 'New password', 'Repeat new password'),
  ];
  const sent = h('p', { class: 'notice', role: 'status' }, CODE_SENT);
  const resetAlert = alertBox('reset-alert');
  const resetSubmit = h('button', { type: 'submit', class: 'primary' }, 'Set new password');
  const resetForm = h(
    'form',
    { id: 'reset', novalidate: true, hidden: true, 'aria-labelledby': 'reset-heading' },
    sent,
    ...fields.map((each) => each.element),
    resetAlert,
    resetSubmit,
  );

  requestForm.addEventListener('submit', (event) => {
    event.preventDefault();
    if (isDisabled(requestSubmit)) return;
    showAlert(requestAlert, null);
    showFieldErrors([login], []);
    setDisabled(requestSubmit, true);
    context.api
      .forgotPassword(login.input.value.trim())
      .then(
        () => {
          // The name stays in its field (read-only now): the reset is for that account.
          login.input.readOnly = true;
          requestSubmit.textContent = 'Email me another code';
          resetForm.hidden = false;
          fields[0]?.input.focus();
        },
        (error: unknown) => {
          showAlert(requestAlert, formSummary([login], error));
        },
      )
      .finally(() => {
        setDisabled(requestSubmit, false);
      });
  });

  resetForm.addEventListener('submit', (event) => {
    event.preventDefault();
    if (isDisabled(resetSubmit)) return;
    showAlert(resetAlert, null);
    showFieldErrors(fields, []);
    const [code, password1, password2] = fields.map((each) => each.input.value);
    setDisabled(resetSubmit, true);
    context.api
      .resetPassword({
        username: login.input.value.trim(),
        code: code?.trim() ?? '',
        password1: password1 ?? '',
        password2: password2 ?? '',
      })
      .then(onReset, (error: unknown) => {
        showAlert(resetAlert, formSummary(fields, error));
      })
      .finally(() => {
        setDisabled(resetSubmit, false);
      });
  });

  const element = h(
    'div',
    { class: 'auth' },
    h('h1', { tabindex: -1 }, 'Reset your password'),
    h(
      'section',
      { class: 'card', 'aria-labelledby': 'reset-heading' },
      h('h2', { id: 'reset-heading' }, 'Forgot password?'),
      requestForm,
      resetForm,
      h('p', {}, h('a', { href: '#/login' }, 'Back to log in')),
    ),
  );
  return { title: 'Reset password', element, dispose: () => undefined };
}
