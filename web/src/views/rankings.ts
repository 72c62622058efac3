/** The pilots' rankings (docs/spec.md §5): a table, 20 pilots a page, ties sharing a rank. */
import { pilotHref } from './gallery';
import { RANKINGS_PAGE_SIZE, type Standing } from '../api';
import { alertBox, reportFailure, showAlert, type View, type ViewContext } from '../context';
import { h, replaceChildren, setDisabled } from '../dom';

export function rankingsView(context: ViewContext): View {
  const alert = alertBox('rankings-alert');
  const rows = h('tbody');
  const table = h(
    'table',
    { class: 'rankings' },
    h('caption', { class: 'visually-hidden' }, 'Pilots by votes on their published videos'),
    h(
      'thead',
      {},
      h(
        'tr',
        {},
        h('th', { scope: 'col', class: 'rank' }, 'Rank'),
        h('th', { scope: 'col' }, 'Pilot'),
        h('th', { scope: 'col', class: 'number' }, 'Votes'),
        h('th', { scope: 'col', class: 'number' }, 'Videos'),
      ),
    ),
    rows,
  );
  const status = h('p', { class: 'hint', 'aria-live': 'polite' });
  const previous = h('button', { type: 'button' }, '← Previous');
  const next = h('button', { type: 'button' }, 'Next →');
  const pager = h('nav', { class: 'pager', 'aria-label': 'Rankings pages' }, previous, status, next);
  const section = h('section', { 'aria-busy': 'true' }, alert, table, pager);
  let offset = 0;
  /** The end of the page shown and the pilots in all: what the pager offers from here. */
  let shownEnd = 0;
  let total = 0;
  let disposed = false;
  const updatePager = (): void => {
    setDisabled(previous, offset === 0);
    setDisabled(next, shownEnd >= total);
  };

  const load = (at: number): void => {
    // aria-disabled, not disabled: the pressed button keeps focus while its page loads.
    setDisabled(previous, true);
    setDisabled(next, true);
    context.api
      .rankings(at)
      .then(
        (page) => {
          if (disposed) return;
          offset = at;
          replaceChildren(rows, ...page.data.map(row));
          if (page.data.length === 0)
            rows.append(h('tr', {}, h('td', { colspan: 4 }, 'No ranked pilots yet.')));
          shownEnd = offset + page.data.length;
          total = page.total;
          status.textContent = page.total === 0 ? '' : `Pilots ${offset + 1}–${shownEnd} of ${page.total}`;
          pager.hidden = page.total <= RANKINGS_PAGE_SIZE;
          showAlert(alert, null);
        },
        (error: unknown) => {
          reportFailure(context, alert, error);
        },
      )
      .finally(() => {
        // After a failure too: the pager offers the page still shown again, so the pilot can retry.
        updatePager();
        section.setAttribute('aria-busy', 'false');
      });
  };
  previous.addEventListener('click', () => {
    load(Math.max(0, offset - RANKINGS_PAGE_SIZE));
  });
  next.addEventListener('click', () => {
    load(offset + RANKINGS_PAGE_SIZE);
  });
  load(0);

  const element = h(
    'div',
    { class: 'rankings-page' },
    h('h1', { tabindex: -1 }, 'Pilot rankings'),
    h(
      'p',
      { class: 'lead' },
      'Pilots ranked by the votes on their published videos. Updated every 30 seconds.',
    ),
    section,
  );
  return {
    title: 'Pilot rankings',
    element,
    dispose: () => {
      disposed = true;
    },
  };
}

function row(standing: Standing): HTMLTableRowElement {
  return h(
    'tr',
    { 'data-pilot': standing.pilot.username },
    h('td', { class: 'rank' }, String(standing.rank)),
    h('th', { scope: 'row' }, h('a', { href: pilotHref(standing.pilot.username) }, standing.pilot.username)),
    h('td', { class: 'number' }, String(standing.votes)),
    h('td', { class: 'number' }, String(standing.videos)),
  );
}
