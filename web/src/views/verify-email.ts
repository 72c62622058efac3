/**
 * The banner of a pilot whose email is not verified yet (docs/console.md, "Verifying the email"): the code from the
 * email, or a new one. Shown above every page while GET /api/auth/me says emailVerified false.
 */
import { ApiError } from '../api';
import { alertBox, reportFailure, showAlert, type ViewContext } from '../context';
import { h, isDisabled, setDisabled } from '../dom';
import { formSummary } from './auth';
import { field } from './form';

/** The banner's form id: its code field is `${FORM_ID}-code` (form.ts), which a refusal elsewhere points to. */
const FORM_ID = 'verify';

export function verifyEmailBanner(context: ViewContext, email: string, onVerified: () => void): HTMLElement {
  const code = field(
    FORM_ID,
    'code',
    'Code from the email',
    {
      type: 'text',
      inputmode: 'numeric',
      autocomplete: 'one-time-code',
      required: true,
      maxlength: '6',
    },
    'Six digits, valid for 24 hours.',
  );
  const alert = alertBox('verify-alert');
  const sent = h('p', { class: 'notice', role: 'status', hidden: true });
  const submit = h('button', { type: 'submit', class: 'primary' }, 'Verify email');
  const resend = h('button', { type: 'button' }, 'Email me a new code');
  const form = h(
    'form',
    { id: FORM_ID, novalidate: true, 'aria-labelledby': 'verify-heading' },
    code.element,
    alert,
    sent,
    h('div', { class: 'actions' }, submit, resend),
  );

  form.addEventListener('submit', (event) => {
    event.preventDefault();
    if (isDisabled(submit)) return;
    showAlert(alert, null);
    sent.hidden = true;
    setDisabled(submit, true);
    context.api
      .verifyEmail(code.input.value.trim())
      .then(onVerified, (error: unknown) => {
        if (error instanceof ApiError) showAlert(alert, formSummary([code], error));
        else reportFailure(context, alert, error);
      })
      .finally(() => {
        setDisabled(submit, false);
      });
  });

  resend.addEventListener('click', () => {
    if (isDisabled(resend)) return;
    showAlert(alert, null);
    sent.hidden = true;
    setDisabled(resend, true);
    context.api
      .resendVerificationCode()
      .then(
        () => {
          sent.textContent = `A new code is on its way to ${email}. The earlier ones no longer work.`;
          sent.hidden = false;
          code.input.focus();
        },
        (error: unknown) => {
          reportFailure(context, alert, error);
        },
      )
      .finally(() => {
        setDisabled(resend, false);
      });
  });

  return h(
    'section',
    { class: 'card verify-email', 'aria-labelledby': 'verify-heading' },
    h('h2', { id: 'verify-heading' }, 'Verify your email'),
    h(
      'p',
      {},
      'We emailed a 6-digit code to ',
      h('strong', {}, email),
      '. Until you enter it you can upload and manage your videos, but not vote, and your videos stay out of the public gallery.',
    ),
    form,
  );
}

/**
 * "Enter the code": a refusal shown far from the banner (a vote at a gallery card, below the fold on a phone) takes
 * the pilot to the banner's code field. Null when no banner is on the page (verified, or the console does not know).
 */
export function enterCodeButton(): HTMLButtonElement | null {
  const codeId = `${FORM_ID}-code`;
  if (document.getElementById(codeId) === null) return null;
  const button = h('button', { type: 'button', class: 'link' }, 'Enter the code');
  button.addEventListener('click', () => {
    // Looked up again: the banner may have been rebuilt or removed since the refusal.
    document.getElementById(codeId)?.focus();
  });
  return button;
}
