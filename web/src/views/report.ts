/**
 * "Report" on a gallery card and a video's page (docs/console.md, "Reports and the admin area"): a dialog with the
 * reason and optional details, POST /api/public/videos/{id}/reports, and the answer at the card. Not offered on the
 * pilot's own videos; a visitor is asked to log in instead.
 */
import {
  ApiError,
  MAX_REPORT_TEXT,
  REPORT_REASONS,
  SessionExpiredError,
  type PublicVideo,
  type ReportReason,
} from '../api';
import { alertBox, reportFailure, showAlert, type ViewContext } from '../context';
import { h, isDisabled, setDisabled } from '../dom';
import { describeError } from '../messages';
import { REASON_HINTS, REASON_LABELS } from '../moderation';
import { modal } from './dialog';

export interface ReportOptions {
  /** The logged-in pilot's login, or null for a visitor. */
  login: string | null;
  /** Opens the login form; the pilot comes back to this page once logged in. */
  logIn(): void;
}

/** Where a card shows the answer: `status` for what went as asked, `alert` for a refusal. */
export interface CardFeedback {
  status: HTMLElement;
  alert: HTMLElement;
}

/** The card's report control, or null on the pilot's own video (usernames compare case-insensitively). */
export function reportControl(
  context: ViewContext,
  options: ReportOptions,
  video: PublicVideo,
  feedback: CardFeedback,
): HTMLElement | null {
  const { login } = options;
  if (login !== null && login.toLowerCase() === video.pilot.username.toLowerCase()) return null;
  if (login === null) {
    const button = h('button', { type: 'button', class: 'link report' }, 'Log in to report');
    button.addEventListener('click', () => {
      options.logIn();
    });
    return button;
  }
  const label = h('span', {}, 'Report');
  const button = h(
    'button',
    { type: 'button', class: 'link report', 'aria-haspopup': 'dialog' },
    label,
    h('span', { class: 'visually-hidden' }, ` ${video.title}`),
  );
  const holder = h('span', {}, button);
  button.addEventListener('click', () => {
    if (isDisabled(button)) return;
    // Made when asked for and gone once closed: a page of 24 cards carries no 24 hidden forms.
    const dialog = reportDialog(context, video, (outcome) => {
      if (outcome.reported) {
        label.textContent = 'Reported';
        setDisabled(button, true);
        // The status line appears with its text, which not every screen reader reads: the announcer does.
        context.announce(outcome.message);
      }
      showAnswer(feedback, outcome);
    });
    dialog.element.addEventListener('close', () => {
      dialog.element.remove();
    });
    holder.append(dialog.element);
    dialog.open(button);
  });
  return holder;
}

/** What a report came to, when it closes the dialog. */
interface Outcome {
  /** The video stands reported by this pilot now (201, or 409: an earlier report). */
  reported: boolean;
  /** The sentence for the card. */
  message: string;
  /**
   * A refusal the pilot may lift by verifying the email: offered only while the banner that takes the code is on the
   * page (it is there exactly while the email is unverified).
   */
  verify: boolean;
}

function showAnswer(feedback: CardFeedback, outcome: Outcome): void {
  if (outcome.reported) {
    showAlert(feedback.alert, null);
    feedback.status.textContent = outcome.message;
    feedback.status.hidden = false;
    return;
  }
  feedback.status.hidden = true;
  showAlert(feedback.alert, outcome.message);
  const code = document.getElementById('verify-code');
  if (!outcome.verify || code === null) return;
  // The code field is at the top of the page: one press takes the pilot there.
  const go = h('button', { type: 'button', class: 'link' }, 'Enter the code from the email');
  go.addEventListener('click', () => {
    code.focus();
  });
  feedback.alert.append(' ', go);
}

/** The outcome of a refusal that ends the attempt, or null when the dialog should stay open to try again. */
function outcomeOf(error: unknown): Outcome | null {
  if (!(error instanceof ApiError) || error instanceof SessionExpiredError) return null;
  switch (error.status) {
    case 409:
      return { reported: true, message: 'You already reported this video.', verify: false };
    case 403:
      // An unverified email (or a suspended account): the API says which, in words for pilots.
      return { reported: false, message: describeError(error), verify: true };
    case 404:
      return { reported: false, message: 'This video is not in the gallery any more.', verify: false };
    case 429:
      return { reported: false, message: describeError(error), verify: false };
    default:
      return null;
  }
}

function reportDialog(
  context: ViewContext,
  video: PublicVideo,
  done: (outcome: Outcome) => void,
): { element: HTMLDialogElement; open(opener: HTMLElement): void } {
  const id = `report-${video.id}`;
  const heading = h('h2', { id: `${id}-heading` }, `Report “${video.title}”`);
  const intro = h(
    'p',
    { id: `${id}-text`, class: 'hint' },
    `The league's admins review every report. ${video.pilot.username} is not told who reported the video.`,
  );
  const choices = REPORT_REASONS.map((reason) => reasonChoice(id, reason));
  const reasonError = h('p', { id: `${id}-reason-error`, class: 'field-error', hidden: true });
  const reasons = h(
    'fieldset',
    { class: 'report-reasons' },
    h('legend', {}, 'Why should the league look at it?'),
    ...choices.map((choice) => choice.element),
    reasonError,
  );
  const textId = `${id}-details`;
  const textError = h('p', { id: `${textId}-error`, class: 'field-error', hidden: true });
  const text = h('textarea', {
    id: textId,
    name: 'text',
    rows: 3,
    maxlength: MAX_REPORT_TEXT,
    'aria-describedby': `${textId}-hint`,
  });
  const alert = alertBox(`${id}-alert`);
  const cancel = h('button', { type: 'button' }, 'Cancel');
  const submit = h('button', { type: 'submit', class: 'primary' }, 'Report');
  const form = h(
    'form',
    { novalidate: true },
    heading,
    intro,
    reasons,
    h(
      'div',
      { class: 'field' },
      h('label', { for: textId }, 'Details (optional)'),
      h('p', { id: `${textId}-hint`, class: 'hint' }, `Up to ${MAX_REPORT_TEXT} characters.`),
      text,
      textError,
    ),
    alert,
    h('div', { class: 'actions' }, cancel, submit),
  );
  const dialog = modal({ id, labelledBy: heading.id, describedBy: intro.id }, form);
  const setError = (element: HTMLElement, control: HTMLElement[], message: string | null): void => {
    element.textContent = message ?? '';
    element.hidden = message === null;
    for (const each of control) {
      if (message === null) each.removeAttribute('aria-invalid');
      else each.setAttribute('aria-invalid', 'true');
    }
  };
  const radios = choices.map((choice) => choice.input);
  const clear = (): void => {
    setError(reasonError, radios, null);
    setError(textError, [text], null);
    text.setAttribute('aria-describedby', `${textId}-hint`);
    showAlert(alert, null);
  };

  cancel.addEventListener('click', () => {
    dialog.close();
  });
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    if (isDisabled(submit)) return;
    clear();
    const reason = choices.find((choice) => choice.input.checked)?.reason;
    if (reason === undefined) {
      setError(reasonError, radios, 'Choose why you report this video.');
      radios[0]?.focus();
      return;
    }
    const details = text.value.trim();
    setDisabled(submit, true);
    context.api
      .reportVideo(video.id, reason, details === '' ? undefined : details)
      .then(
        () => {
          dialog.close();
          done({ reported: true, message: 'Reported — thank you.', verify: false });
        },
        (error: unknown) => {
          const outcome = outcomeOf(error);
          if (outcome !== null) {
            dialog.close();
            done(outcome);
            return;
          }
          // The details broke a rule (a control character): said at the field, the dialog stays open.
          const field =
            error instanceof ApiError ? error.errors.find((each) => each.field === 'text') : undefined;
          if (field !== undefined) {
            setError(textError, [text], field.message);
            text.setAttribute('aria-describedby', `${textId}-hint ${textError.id}`);
            text.focus();
            return;
          }
          reportFailure(context, alert, error);
        },
      )
      .finally(() => {
        setDisabled(submit, false);
      });
  });
  return {
    element: dialog.element,
    open(opener) {
      dialog.open(opener, radios[0] ?? text);
    },
  };
}

function reasonChoice(
  id: string,
  reason: ReportReason,
): { reason: ReportReason; input: HTMLInputElement; element: HTMLElement } {
  const inputId = `${id}-reason-${reason}`;
  const input = h('input', {
    type: 'radio',
    id: inputId,
    name: `${id}-reason`,
    value: reason,
    'aria-describedby': `${inputId}-hint`,
  });
  const element = h(
    'div',
    { class: 'choice' },
    input,
    h('label', { for: inputId }, REASON_LABELS[reason]),
    h('span', { id: `${inputId}-hint`, class: 'hint' }, REASON_HINTS[reason]),
  );
  return { reason, input, element };
}
