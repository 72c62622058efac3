/** On the pilot's own task page: the votes on it and the switch that (un)publishes it in the gallery. */
import type { Task } from '../api';
import { reportFailure, showAlert, type ViewContext } from '../context';
import { h, isDisabled, setDisabled } from '../dom';
import { votesLabel } from '../messages';
import { shareButton, shareUrl } from './share';

export function publicationControl(context: ViewContext, task: Task, alert: HTMLElement): HTMLElement {
  const votes = h('span', { class: 'vote-count', 'data-votes': task.votes }, votesLabel(task.votes));
  const toggle = h('input', {
    type: 'checkbox',
    role: 'switch',
    id: `public-${task.id}`,
    class: 'switch',
    'aria-describedby': `public-${task.id}-hint`,
  });
  toggle.checked = task.public;
  const hint = h('span', { id: `public-${task.id}-hint`, class: 'hint' }, hintText(task));
  const link = h(
    'p',
    { class: 'public-link', hidden: !isPublished(task) },
    'Public link: ',
    publicLink(task.id),
    ' ',
    shareButton(context, task.id, task.title),
  );
  toggle.addEventListener('change', () => {
    if (isDisabled(toggle)) return;
    const wanted = toggle.checked;
    setDisabled(toggle, true);
    context.api
      .setPublic(task.id, wanted)
      .then(
        (updated) => {
          toggle.checked = updated.public;
          votes.textContent = votesLabel(updated.votes);
          hint.textContent = hintText(updated);
          link.hidden = !isPublished(updated);
          showAlert(alert, null);
          context.announce(
            !updated.public
              ? 'Removed from the gallery.'
              : updated.hidden === undefined
                ? 'Published in the gallery.'
                : 'Public, but hidden by the league.',
          );
        },
        (error: unknown) => {
          toggle.checked = !wanted;
          reportFailure(context, alert, error);
        },
      )
      .finally(() => {
        setDisabled(toggle, false);
      });
  });
  return h(
    'div',
    { class: 'publication' },
    h('label', { for: `public-${task.id}`, class: 'switch-label' }, toggle, 'Show in the public gallery'),
    hint,
    link,
    h('p', { class: 'task-meta' }, votes),
  );
}

function isPublished(task: Task): boolean {
  return task.public && task.status === 'processed' && task.hidden === undefined;
}

/** The video's lasting address (link previews, then the console): it lasts while the video stays published. */
function publicLink(id: number): HTMLAnchorElement {
  const href = shareUrl(id);
  return h('a', { href, class: 'share' }, href);
}

function hintText(task: Task): string {
  if (!task.public) return 'Only you can see this video.';
  if (task.hidden !== undefined)
    return 'Hidden by the league: it stays out of the gallery whatever this switch says.';
  if (task.status === 'processed') return 'Everyone can watch it and vote (the gallery updates within 30 s).';
  // A failure that no retry can change never reaches the gallery: saying "once it is processed" would mislead.
  if (task.status === 'failed')
    return task.retryable === true
      ? 'It appears in the gallery once a retry has processed it.'
      : 'It cannot appear in the gallery: this upload cannot be processed.';
  return 'It appears in the gallery once it is processed.';
}
