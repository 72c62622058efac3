/**
 * The rankings' periods (docs/spec.md §9, "Seasons"): which votes each one counts. One module for the API, the
 * function's configuration and the synth's validation of the season start dates, so they cannot disagree.
 *
 * Periods are whole UTC days ending today (docs/spec.md §10): `week` counts votes cast since 00:00 UTC six days
 * ago, `month` since 00:00 UTC 29 days ago, `season` since the start date of the current league season, `all`
 * every vote. A day-aligned window gives every answer of a day the same boundaries (what a cached page shows
 * agrees with the page next to it) and lets the database keep each period's counts ready.
 */
export const RANKING_PERIODS = ['week', 'month', 'season', 'all'] as const;
export type RankingPeriod = (typeof RANKING_PERIODS)[number];

/** Days counted by the rolling periods, today included. */
export const PERIOD_DAYS = { week: 7, month: 30 } as const;

/** More than a league would configure in its life; a bound, so a typo cannot build a huge environment value. */
export const MAX_SEASON_STARTS = 100;

const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const DAY_MS = 86_400_000;

/** `YYYY-MM-DD` of a real calendar day (no 2026-02-30), or undefined. */
function calendarDay(text: string): string | undefined {
  const match = ISO_DATE.exec(text);
  if (match === null) return undefined;
  const date = new Date(`${text}T00:00:00.000Z`);
  return Number.isNaN(date.getTime()) || date.toISOString().slice(0, 10) !== text ? undefined : text;
}

/**
 * Parses the league's season start dates (`2026-03-01,2026-09-01`): calendar days in UTC, strictly increasing,
 * at most {@link MAX_SEASON_STARTS}. Empty means no seasons configured. Throws with a message that names the
 * offending value: the synth (CDK context `seasons`) and a function's cold start (LEAGUE_SEASON_STARTS) refuse
 * the same values with the same words.
 */
export function parseSeasonStarts(raw: string): string[] {
  const parts = raw
    .split(',')
    .map((part) => part.trim())
    .filter((part) => part.length > 0);
  if (parts.length > MAX_SEASON_STARTS)
    throw new Error(`At most ${MAX_SEASON_STARTS} season start dates, got ${parts.length}`);
  parts.forEach((part, index) => {
    if (calendarDay(part) === undefined)
      throw new Error(`Season start "${part}" is not a calendar date written YYYY-MM-DD`);
    const previous = parts[index - 1];
    if (previous !== undefined && part <= previous)
      throw new Error(`Season starts must be in increasing order: "${part}" comes after "${previous}"`);
  });
  return parts;
}

/** The UTC calendar day of an instant, `YYYY-MM-DD`. */
export function utcDay(at: Date): string {
  return at.toISOString().slice(0, 10);
}

/**
 * The first day a period counts (`YYYY-MM-DD`, from 00:00 UTC), or undefined when it counts every vote: `all`,
 * and `season` before the first configured season has started (the league's time before its first season is
 * one season then).
 */
export function periodStart(
  period: RankingPeriod,
  now: Date,
  seasonStarts: readonly string[],
): string | undefined {
  if (period === 'all') return undefined;
  const today = utcDay(now);
  if (period === 'season') return seasonStarts.filter((start) => start <= today).at(-1);
  const first = new Date(`${today}T00:00:00.000Z`).getTime() - (PERIOD_DAYS[period] - 1) * DAY_MS;
  return utcDay(new Date(first));
}
