/** The pilots' rankings (docs/spec.md §5): a table, 20 pilots a page, ties sharing a rank. */
import { RANKINGS_PAGE_SIZE, type Standing } from '../api';
import { alertBox, reportFailure, showAlert, type View, type ViewContext } from '../context';
import { h, replaceChildren } from '../dom';

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
  let disposed = false;

  const load = (at: number): void => {
    previous.disabled = true;
    next.disabled = true;
    context.api
      .rankings(at)
      .then(
        (page) => {
          if (disposed) return;
          offset = at;
          replaceChildren(rows, ...page.data.map(row));
          if (page.data.length === 0)
            rows.append(h('tr', {}, h('td', { colspan: 4 }, 'No ranked pilots yet.')));
          const last = offset + page.data.length;
          status.textContent = page.total === 0 ? '' : `Pilots ${offset + 1}–${last} of ${page.total}`;
          previous.disabled = offset === 0;
          next.disabled = last >= page.total;
          pager.hidden = page.total <= RANKINGS_PAGE_SIZE;
          showAlert(alert, null);
        },
        (error: unknown) => {
          reportFailure(context, alert, error);
        },
      )
      .finally(() => {
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
    h('th', { scope: 'row' }, standing.pilot.username),
    h('td', { class: 'number' }, String(standing.votes)),
    h('td', { class: 'number' }, String(standing.videos)),
  );
}
