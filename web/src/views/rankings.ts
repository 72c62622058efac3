/**
 * The pilots' rankings (docs/spec.md §5, §9): a table, 20 pilots a page, ties sharing a rank, for one period chosen
 * with links (`#/rankings/week`…): keyboard operable as any link, and the address shares the period shown.
 */
import { pilotHref } from './gallery';
import { RANKING_PERIODS, RANKINGS_PAGE_SIZE, type RankingPeriod, type Standing } from '../api';
import { alertBox, reportFailure, showAlert, type View, type ViewContext } from '../context';
import { h, replaceChildren, setDisabled } from '../dom';

const PERIOD_LABELS: Record<RankingPeriod, string> = {
  week: '7 days',
  month: '30 days',
  season: 'Season',
  all: 'All time',
};

/** The console address of a period's rankings; all time keeps the plain `#/rankings`. */
export function rankingsHref(period: RankingPeriod): string {
  return period === 'all' ? '#/rankings' : `#/rankings/${period}`;
}

/** The period in a rankings address, or null when the address is not one. */
export function rankingsPeriod(hash: string): RankingPeriod | null {
  if (hash === '#/rankings') return 'all';
  const period = /^#\/rankings\/([a-z]+)$/.exec(hash)?.[1];
  return RANKING_PERIODS.find((candidate) => candidate === period) ?? null;
}

const DAY_FORMAT = new Intl.DateTimeFormat('en-GB', {
  day: 'numeric',
  month: 'short',
  year: 'numeric',
  timeZone: 'UTC',
});

/** What the shown numbers count, in words: the answer's own first day, so the page says what the API counted. */
function periodDescription(period: RankingPeriod, since: string | undefined): string {
  if (since === undefined)
    return period === 'season'
      ? 'Votes cast since the league began: no season has started yet.'
      : 'Every vote on their published videos.';
  const day = DAY_FORMAT.format(new Date(`${since}T00:00:00Z`));
  return period === 'season'
    ? `Votes cast this season, since ${day} (UTC).`
    : `Votes cast in the last ${PERIOD_LABELS[period]}, since ${day} (UTC).`;
}

export function rankingsView(context: ViewContext, period: RankingPeriod): View {
  const alert = alertBox('rankings-alert');
  const switcher = h(
    'nav',
    { class: 'period-switch', 'aria-label': 'Rankings period' },
    h(
      'ul',
      {},
      ...RANKING_PERIODS.map((option) =>
        h(
          'li',
          {},
          h(
            'a',
            { href: rankingsHref(option), ...(option === period ? { 'aria-current': 'page' } : {}) },
            PERIOD_LABELS[option],
          ),
        ),
      ),
    ),
  );
  const counted = h('p', { class: 'hint period-description', 'aria-live': 'polite' });
  const rows = h('tbody');
  const table = h(
    'table',
    { class: 'rankings' },
    h(
      'caption',
      { class: 'visually-hidden' },
      `Pilots by votes on their published videos, ${PERIOD_LABELS[period].toLowerCase()}`,
    ),
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
  const section = h('section', { 'aria-busy': 'true' }, alert, counted, table, pager);
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
      .rankings(at, period)
      .then(
        (page) => {
          if (disposed) return;
          offset = at;
          counted.textContent = periodDescription(page.period, page.since);
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
    switcher,
    section,
  );
  return {
    title: period === 'all' ? 'Pilot rankings' : `Pilot rankings, ${PERIOD_LABELS[period].toLowerCase()}`,
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
