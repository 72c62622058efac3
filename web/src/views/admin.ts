/**
 * The league's admin area, #/admin (docs/console.md, "Reports and the admin area"): the open reports by video with
 * one-click Hide, the videos hidden after reports with Restore, a pilot's suspension, reinstatement and vote
 * annulment, and the audit log. The API decides who is an admin (403 for anyone else); this page only says so.
 */
import { ApiError, type AuditEntry, type ReportedVideo } from '../api';
import { alertBox, reportFailure, showAlert, type View, type ViewContext } from '../context';
import { h, isDisabled, replaceChildren, setDisabled, type Child } from '../dom';
import {
  auditTargetText,
  auditWhat,
  defaultHideReason,
  REASON_LABELS,
  reasonsText,
  summarizeReports,
} from '../moderation';
import { confirmDialog } from './dialog';
import { field, showFieldErrors, type Field } from './form';
import { pilotHref } from './gallery';
import { formatDate } from './status';

/** What an action did, said where the admin acted; the lists are read again afterwards. */
interface Outcome {
  box: HTMLElement;
  message: string;
}

export function adminView(context: ViewContext): View {
  const heading = h('h1', { tabindex: -1 }, 'League admin');
  const denied = h('div', { class: 'alert', role: 'alert', hidden: true });
  const queue = listSection(
    'admin-queue',
    'Open reports',
    'Oldest first, one entry per video. Hiding a video closes its reports.',
    'No open reports.',
  );
  const hidden = listSection(
    'admin-hidden',
    'Hidden after reports',
    'Videos the league hid after reports; Restore puts one back where its pilot published it, with its votes.',
    'No video is hidden after reports.',
  );
  const pilot = pilotForm(context);
  const audit = auditSection(context);
  const content = h(
    'div',
    { class: 'admin-content', hidden: true },
    queue.element,
    hidden.element,
    pilot.element,
    audit.element,
  );
  let disposed = false;

  /** Runs one admin action from `control`: the answer goes to `alert` or the outcome's box, then the lists reload. */
  const act = (control: HTMLElement, alert: HTMLElement, action: () => Promise<Outcome>): void => {
    if (isDisabled(control)) return;
    setDisabled(control, true);
    showAlert(alert, null);
    action()
      .then(
        async (outcome) => {
          context.announce(outcome.message);
          await refresh();
          showStatus(outcome.box, outcome.message);
          // The control left with its entry (a hidden video leaves the queue): focus goes to what it did.
          if (!control.isConnected) outcome.box.focus();
        },
        (error: unknown) => {
          reportFailure(context, alert, error);
        },
      )
      .finally(() => {
        setDisabled(control, false);
      });
  };

  const refresh = async (): Promise<void> => {
    try {
      // One queue after the other: the route's function has a reserved concurrency of 1 (the database's connection
      // budget, docs/infra.md), so a second request at the same moment would be throttled. The audit log is another.
      const queues = async (): Promise<[ReportedVideo[], ReportedVideo[]]> => [
        await context.api.reportQueue('open'),
        await context.api.reportQueue('closed'),
      ];
      const [[open, closed]] = await Promise.all([queues(), audit.load()]);
      if (disposed) return;
      queue.show(open.map((video) => openItem(video)));
      hidden.show(
        closed.filter((video) => video.video.hidden !== undefined).map((video) => hiddenItem(video)),
      );
      showAlert(queue.alert, null);
      content.hidden = false;
    } catch (error) {
      if (disposed) return;
      if (error instanceof ApiError && error.status === 403) {
        content.hidden = true;
        replaceChildren(
          denied,
          h('p', {}, "This page is for the league's admins, and your account is not one of them."),
          h(
            'p',
            {},
            'If the league made you an admin a moment ago, log out and log in again: the session you are using started before.',
          ),
        );
        denied.hidden = false;
        return;
      }
      content.hidden = false;
      reportFailure(context, queue.alert, error);
    }
  };

  const openItem = (reported: ReportedVideo): HTMLElement => {
    const { video } = reported;
    const summary = summarizeReports(reported.reports);
    const reason = field(`admin-hide-${video.id}`, 'reason', 'Reason for hiding (the pilot reads it)', {
      type: 'text',
      required: true,
      maxlength: '300',
      value: defaultHideReason(summary),
    });
    const alert = alertBox(`admin-hide-${video.id}-alert`);
    const hide = h('button', { type: 'submit', class: 'danger' }, 'Hide video');
    const form = h(
      'form',
      { class: 'admin-action', novalidate: true },
      reason.element,
      h('div', { class: 'actions' }, hide),
      alert,
    );
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      act(hide, alert, async () => {
        const why = reason.input.value.trim();
        await withFieldErrors([reason], () => context.api.hideVideo(video.id, why));
        return { box: queue.result, message: `Hid “${video.title}” (video ${video.id}): ${why}` };
      });
    });
    const pilotActions = h(
      'button',
      { type: 'button', class: 'link' },
      `Suspend ${video.pilot.username} or annul their votes…`,
    );
    pilotActions.addEventListener('click', () => {
      pilot.choose(video.pilot.username);
    });
    return h(
      'li',
      { class: 'report-item', 'data-video-id': video.id },
      videoHeading(reported),
      h('p', { class: 'report-summary' }, reasonsText(summary)),
      h(
        'p',
        { class: 'hint' },
        reported.reports.length === 1
          ? h('span', {}, 'Reported ', timeOf(summary.first))
          : h('span', {}, 'First reported ', timeOf(summary.first), ', last ', timeOf(summary.last)),
      ),
      h(
        'ul',
        { class: 'report-texts', 'aria-label': `Reports on video ${video.id}` },
        ...reported.reports.map((report) =>
          h(
            'li',
            {},
            h('strong', {}, report.reporter.username),
            ` · ${REASON_LABELS[report.reason]} · `,
            timeOf(report.createdAt),
            report.text === undefined ? null : h('q', { class: 'report-text' }, report.text),
          ),
        ),
      ),
      form,
      h('p', {}, pilotActions),
    );
  };

  const hiddenItem = (reported: ReportedVideo): HTMLElement => {
    const { video } = reported;
    const alert = alertBox(`admin-restore-${video.id}-alert`);
    const restore = h(
      'button',
      { type: 'button' },
      'Restore video',
      h('span', { class: 'visually-hidden' }, ` ${video.id}`),
    );
    restore.addEventListener('click', () => {
      act(restore, alert, async () => {
        await context.api.restoreVideo(video.id);
        return { box: hidden.result, message: `Restored “${video.title}” (video ${video.id}).` };
      });
    });
    return h(
      'li',
      { class: 'report-item', 'data-video-id': video.id },
      videoHeading(reported),
      h('p', { class: 'report-summary' }, reasonsText(summarizeReports(reported.reports))),
      h('div', { class: 'actions' }, restore),
      alert,
    );
  };

  audit.onRestore((entry, control, alert) => {
    if (!('video' in entry.target)) return;
    const { id } = entry.target.video;
    act(control, alert, async () => {
      await context.api.restoreVideo(id);
      return { box: audit.result, message: `Video ${id} is not hidden by the league any more.` };
    });
  });
  pilot.onAction(act);

  void refresh();
  const element = h(
    'div',
    { class: 'admin-page' },
    heading,
    h(
      'p',
      { class: 'lead' },
      "Reports from pilots and what the league's admins did about them. Every action is recorded in the audit log with your username and your reason.",
    ),
    denied,
    content,
  );
  return {
    title: 'League admin',
    element,
    dispose: () => {
      disposed = true;
    },
  };
}

/** A reported video's title (a link while it is published), pilot and state. */
function videoHeading(reported: ReportedVideo): HTMLElement {
  const { video } = reported;
  const state =
    video.hidden !== undefined
      ? `Hidden: ${video.hidden.reason}`
      : video.published
        ? 'Published'
        : 'Not published (its pilot took it out, or it is being edited again)';
  return h(
    'div',
    { class: 'report-video' },
    h('h3', {}, video.published ? h('a', { href: `#/gallery/${video.id}` }, video.title) : video.title),
    h(
      'p',
      { class: 'card-pilot' },
      `Video ${video.id} by `,
      h('a', { class: 'pilot-name', href: pilotHref(video.pilot.username) }, video.pilot.username),
      ` · ${state}`,
    ),
  );
}

function timeOf(iso: string): HTMLTimeElement {
  return h('time', { datetime: iso }, formatDate(iso));
}

function showStatus(box: HTMLElement, message: string): void {
  box.textContent = message;
  box.hidden = false;
}

/** A 400's field errors go under their fields (then the form's alert says so); anything else is rethrown. */
async function withFieldErrors(fields: Field[], request: () => Promise<void>): Promise<void> {
  for (const each of fields) each.setError(null);
  try {
    await request();
  } catch (error) {
    if (error instanceof ApiError && error.errors.length > 0) {
      const rest = showFieldErrors(fields, error.errors);
      throw new ApiError(
        error.status,
        rest.length === 0
          ? 'Please correct the highlighted fields.'
          : rest.map((each) => each.message).join('\n'),
      );
    }
    throw error;
  }
}

/** A section of the admin page: its heading and what it is for, then its content. */
function adminSection(id: string, title: string, hint: string, ...content: Child[]): HTMLElement {
  return h(
    'section',
    { class: 'card admin-section', id, 'aria-labelledby': `${id}-heading` },
    h('h2', { id: `${id}-heading` }, title),
    h('p', { class: 'hint' }, hint),
    ...content,
  );
}

/** Where an action's result is said; focusable, so focus can go there when the action's control left the page. */
function resultBox(): HTMLElement {
  return h('p', { class: 'notice', role: 'status', tabindex: -1, hidden: true });
}

/** A titled section with a list, its empty text, the result of the last action and an alert. */
function listSection(
  id: string,
  title: string,
  hint: string,
  emptyText: string,
): { element: HTMLElement; result: HTMLElement; alert: HTMLElement; show(items: HTMLElement[]): void } {
  const result = resultBox();
  const alert = alertBox(`${id}-alert`);
  const list = h('ol', { class: 'report-queue', 'aria-labelledby': `${id}-heading` });
  const empty = h('p', { class: 'empty', hidden: true }, emptyText);
  const element = adminSection(id, title, hint, result, alert, list, empty);
  return {
    element,
    result,
    alert,
    show(items) {
      replaceChildren(list, ...items);
      empty.hidden = items.length > 0;
    },
  };
}

type Act = (control: HTMLElement, alert: HTMLElement, action: () => Promise<Outcome>) => void;

/** Suspend, reinstate or annul the votes of one pilot, by username, with a reason the audit log keeps. */
function pilotForm(context: ViewContext): {
  element: HTMLElement;
  choose(username: string): void;
  onAction(act: Act): void;
} {
  const username = field('admin-pilot', 'username', "Pilot's username", {
    type: 'text',
    required: true,
    autocomplete: 'off',
    spellcheck: 'false',
  });
  const reason = field(
    'admin-pilot',
    'reason',
    'Reason (for suspending and annulling)',
    { type: 'text', maxlength: '300', autocomplete: 'off' },
    'The audit log keeps it with your username.',
  );
  const result = resultBox();
  const alert = alertBox('admin-pilot-alert');
  const suspend = h('button', { type: 'button', class: 'danger' }, 'Suspend pilot');
  const reinstate = h('button', { type: 'button' }, 'Reinstate pilot');
  const annul = h('button', { type: 'button', class: 'danger' }, 'Annul votes…');
  const confirm = confirmDialog('admin-annul', { keep: 'Keep the votes', confirm: 'Annul the votes' });
  const element = adminSection(
    'admin-pilot',
    'A pilot',
    'Suspending refuses their login, hides their videos and stops their votes counting, until they are reinstated. Annulling deletes every vote they cast, for good.',
    h('form', { class: 'admin-action', novalidate: true }, username.element, reason.element),
    h('div', { class: 'actions admin-pilot-actions' }, suspend, reinstate, annul),
    result,
    alert,
    confirm.element,
  );
  /** The username (and for suspend and annul the reason) before anything is sent. */
  const checked = (needsReason: boolean): { name: string; why: string } | null => {
    const name = username.input.value.trim();
    const why = reason.input.value.trim();
    username.setError(name === '' ? "Enter the pilot's username." : null);
    reason.setError(needsReason && why === '' ? 'Say why: the audit log keeps it.' : null);
    if (name === '') username.input.focus();
    else if (needsReason && why === '') reason.input.focus();
    else return { name, why };
    return null;
  };
  return {
    element,
    choose(name) {
      username.input.value = name;
      username.setError(null);
      reason.input.focus();
    },
    onAction(act) {
      const run = (
        control: HTMLElement,
        action: (name: string, why: string) => Promise<string>,
        needsReason: boolean,
      ): void => {
        const input = checked(needsReason);
        if (input === null) return;
        result.hidden = true;
        act(control, alert, async () => {
          const message = await action(input.name, input.why);
          return { box: result, message };
        });
      };
      suspend.addEventListener('click', () => {
        run(
          suspend,
          async (name, why) => {
            await withFieldErrors([reason], () => context.api.suspendPilot(name, why));
            return `Suspended ${name}: they cannot log in, their videos are hidden and their votes do not count.`;
          },
          true,
        );
      });
      reinstate.addEventListener('click', () => {
        run(
          reinstate,
          async (name) => {
            await context.api.reinstatePilot(name);
            return `Reinstated ${name}: they can log in, and their videos and votes count again.`;
          },
          false,
        );
      });
      annul.addEventListener('click', () => {
        if (isDisabled(annul) || checked(true) === null) return;
        const name = username.input.value.trim();
        void confirm
          .ask(
            annul,
            `Annul every vote ${name} has cast?`,
            'Their votes are deleted from every video they voted for, and the counts and rankings drop by them. This cannot be undone.',
          )
          .then((confirmed) => {
            if (!confirmed) return;
            run(
              annul,
              async (who, why) => {
                await withFieldErrors([reason], () => context.api.annulVotes(who, why));
                return `Annulled the votes of ${who}; the audit log below says how many.`;
              },
              true,
            );
          });
      });
    },
  };
}

/** The audit log, newest first, a page at a time as the API pages it; hide entries offer Restore. */
function auditSection(context: ViewContext): {
  element: HTMLElement;
  result: HTMLElement;
  load(): Promise<void>;
  onRestore(restore: (entry: AuditEntry, control: HTMLElement, alert: HTMLElement) => void): void;
} {
  const result = resultBox();
  const alert = alertBox('admin-audit-alert');
  const rows = h('tbody');
  const empty = h('p', { class: 'empty', hidden: true }, 'No admin action yet.');
  const more = h('button', { type: 'button', hidden: true }, 'Show older entries');

  let nextCursor: string | undefined;
  let restore: (entry: AuditEntry, control: HTMLElement, alert: HTMLElement) => void = () => undefined;
  const table = h(
    'table',
    { class: 'rankings audit' },
    h('caption', { class: 'visually-hidden' }, "The league admins' actions, newest first"),
    h(
      'thead',
      {},
      h(
        'tr',
        {},
        h('th', { scope: 'col' }, 'When'),
        h('th', { scope: 'col' }, 'Who'),
        h('th', { scope: 'col' }, 'What'),
        h('th', { scope: 'col' }, 'Target'),
        h('th', { scope: 'col' }, 'Why'),
      ),
    ),
    rows,
  );
  // Sideways scrolling inside its own box where the table is wider than the screen; hidden while the log is empty.
  const tableBox = h(
    'div',
    {
      class: 'table-scroll',
      tabindex: 0,
      role: 'region',
      'aria-labelledby': 'admin-audit-heading',
      hidden: true,
    },
    table,
  );
  const row = (entry: AuditEntry): HTMLElement => {
    const target =
      'video' in entry.target
        ? h('a', { href: `#/gallery/${entry.target.video.id}` }, auditTargetText(entry))
        : h('a', { href: pilotHref(entry.target.pilot.username) }, auditTargetText(entry));
    // One child: a phone's layout puts the cell's label beside it (styles.css).
    const links = h('span', {}, target);
    const cell = h('td', { class: 'audit-target', 'data-label': 'Target' }, links);
    if (entry.action === 'hide') {
      const button = h(
        'button',
        { type: 'button', class: 'link' },
        'Restore',
        h('span', { class: 'visually-hidden' }, ` ${auditTargetText(entry).toLowerCase()}`),
      );
      button.addEventListener('click', () => {
        restore(entry, button, alert);
      });
      links.append(' ', button);
    }
    // data-label names each cell where a phone shows the rows as stacked lines (styles.css).
    return h(
      'tr',
      { 'data-audit-id': entry.id },
      h('td', { class: 'audit-when', 'data-label': 'When' }, timeOf(entry.at)),
      h('td', { 'data-label': 'Who' }, entry.admin.username),
      h('th', { scope: 'row', 'data-label': 'What' }, auditWhat(entry)),
      cell,
      h('td', { class: 'audit-why', 'data-label': 'Why' }, entry.reason ?? '—'),
    );
  };
  more.addEventListener('click', () => {
    if (isDisabled(more) || nextCursor === undefined) return;
    setDisabled(more, true);
    context.api
      .auditLog(nextCursor)
      .then(
        (page) => {
          rows.append(...page.data.map(row));
          nextCursor = page.nextCursor;
          if (nextCursor === undefined)
            rows.querySelector<HTMLElement>(`tr[data-audit-id="${page.data[0]?.id}"] a`)?.focus();
          more.hidden = nextCursor === undefined;
        },
        (error: unknown) => {
          reportFailure(context, alert, error);
        },
      )
      .finally(() => {
        setDisabled(more, false);
      });
  });
  return {
    element: adminSection(
      'admin-audit',
      'Audit log',
      'Every admin action that changed something: who, when, what, on what, and why. Nobody can change or delete an entry.',
      result,
      alert,
      tableBox,
      empty,
      more,
    ),
    result,
    async load() {
      const page = await context.api.auditLog();
      replaceChildren(rows, ...page.data.map(row));
      nextCursor = page.nextCursor;
      more.hidden = nextCursor === undefined;
      empty.hidden = page.data.length > 0;
      tableBox.hidden = page.data.length === 0;
    },
    onRestore(handler) {
      restore = handler;
    },
  };
}
