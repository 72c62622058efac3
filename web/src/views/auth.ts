/** Logged out: log in with username or email, or create an account. */
import { ApiError } from '../api';
import { alertBox, showAlert, type View, type ViewContext } from '../context';
import { h, isDisabled, setDisabled } from '../dom';
import { describeError } from '../messages';
import { field, newPasswordFields, showFieldErrors, type Field } from './form';

/** The form's summary over its field errors, and the errors no field shows (same for every form). */
export function formSummary(fields: Field[], error: unknown): string {
  const errors = error instanceof ApiError ? error.errors : [];
  const unmatched = showFieldErrors(fields, errors);
  const summary =
    errors.length > unmatched.length ? 'Please correct the highlighted fields.' : describeError(error);
  // An error on a field the form lacks often repeats the API's message (409 on `email` at the verify banner): once.
  const others = unmatched.map((each) => each.message).filter((message) => message !== summary);
  return [summary, ...others].join('\n');
}

export function authView(context: ViewContext, notice: string | null, onLoggedIn: () => void): View {
  const login = loginForm(context, onLoggedIn);
  const signup = signupForm(context, (username) => {
    login.prefill(username);
  });
  const noticeBox = h('p', { class: 'notice', role: 'status', hidden: notice === null }, notice ?? '');
  const element = h(
    'div',
    { class: 'auth' },
    h('h1', { tabindex: -1 }, 'Pilot console'),
    h('p', { class: 'lead' }, 'Upload your FPV race videos; the league edits them into the tour format.'),
    noticeBox,
    h('div', { class: 'auth-grid' }, login.element, signup),
  );
  return { title: 'Log in', element, dispose: () => undefined };
}

function loginForm(
  context: ViewContext,
  onLoggedIn: () => void,
): { element: HTMLElement; prefill(username: string): void } {
  const username = field('login', 'username', 'Username or email', {
    type: 'text',
    autocomplete: 'username',
    required: true,
    autocapitalize: 'none',
    spellcheck: 'false',
  });
  const password = field('login', 'password', 'Password', {
    type: 'password',
    autocomplete: 'current-password',
    required: true,
  });
  const alert = alertBox('login-alert');
  const status = h('p', { class: 'notice', role: 'status', hidden: true });
  const submit = h('button', { type: 'submit', class: 'primary' }, 'Log in');
  const form = h(
    'form',
    { id: 'login', novalidate: true, 'aria-labelledby': 'login-heading' },
    status,
    username.element,
    password.element,
    alert,
    submit,
    h('p', { class: 'forgot' }, h('a', { href: '#/password' }, 'Forgot password?')),
  );
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    if (isDisabled(submit)) return;
    showAlert(alert, null);
    showFieldErrors([username, password], []);
    status.hidden = true;
    setDisabled(submit, true);
    context.api
      .logIn(username.input.value.trim(), password.input.value)
      .then(onLoggedIn, (error: unknown) => {
        showAlert(alert, formSummary([username, password], error));
        if (password.input.getAttribute('aria-invalid') !== 'true' && username.input.value !== '')
          password.input.select();
      })
      .finally(() => {
        setDisabled(submit, false);
      });
  });
  return {
    element: h(
      'section',
      { class: 'card', 'aria-labelledby': 'login-heading' },
      h('h2', { id: 'login-heading' }, 'Log in'),
      form,
    ),
    prefill(value) {
      status.textContent = `Account ${value} created. Log in with your new password.`;
      status.hidden = false;
      username.input.value = value;
      password.input.value = '';
      password.input.focus();
    },
  };
}

function signupForm(context: ViewContext, onSignedUp: (username: string) => void): HTMLElement {
  const fields: Field[] = [
    field(
      'signup',
      'username',
      'Username',
      { type: 'text', autocomplete: 'username', required: true, autocapitalize: 'none', spellcheck: 'false' },
      '3–32 letters, digits, _ . or -',
    ),
    field('signup', 'email', 'Email', { type: 'email', autocomplete: 'email', required: true }),
    ...newPasswordFields('signup', 'Password', 'Repeat password'),
  ];
  const alert = alertBox('signup-alert');
  const submit = h('button', { type: 'submit' }, 'Create account');
  // novalidate: the API is the authority on these rules, and its field errors are shown the same way for every field.
  const form = h(
    'form',
    { id: 'signup', novalidate: true, 'aria-labelledby': 'signup-heading' },
    ...fields.map((each) => each.element),
    alert,
    submit,
  );
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    if (isDisabled(submit)) return;
    showAlert(alert, null);
    showFieldErrors(fields, []);
    const [username, email, password1, password2] = fields.map((each) => each.input.value);
    setDisabled(submit, true);
    context.api
      .signUp({
        username: username?.trim() ?? '',
        email: email?.trim() ?? '',
        password1: password1 ?? '',
        password2: password2 ?? '',
      })
      .then(
        () => {
          form.reset();
          onSignedUp(username?.trim() ?? '');
        },
        (error: unknown) => {
          showAlert(alert, formSummary(fields, error));
        },
      )
      .finally(() => {
        setDisabled(submit, false);
      });
  });
  return h(
    'section',
    { class: 'card', 'aria-labelledby': 'signup-heading' },
    h('h2', { id: 'signup-heading' }, 'Create an account'),
    form,
  );
}
