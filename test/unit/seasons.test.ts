import { describe, expect, it } from 'vitest';
import { MAX_SEASON_STARTS, parseSeasonStarts, periodStart } from '#core/seasons';
import { leagueSeasonStarts } from '#commons/config';
import { ConfigurationError } from '#core/platform-errors';

describe('parseSeasonStarts', () => {
  it('reads increasing calendar dates, spaces and empty parts ignored', () => {
    expect(parseSeasonStarts(' 2026-03-01, 2026-09-01 ,')).toEqual(['2026-03-01', '2026-09-01']);
    expect(parseSeasonStarts('')).toEqual([]);
  });

  it.each([
    ['2026-02-30', 'Season start "2026-02-30" is not a calendar date written YYYY-MM-DD'],
    ['2026-3-01', 'Season start "2026-3-01" is not a calendar date written YYYY-MM-DD'],
    ['2026-03-01T00:00:00Z', 'Season start "2026-03-01T00:00:00Z" is not a calendar date written YYYY-MM-DD'],
    [
      '2026-09-01,2026-03-01',
      'Season starts must be in increasing order: "2026-03-01" comes after "2026-09-01"',
    ],
    [
      '2026-03-01,2026-03-01',
      'Season starts must be in increasing order: "2026-03-01" comes after "2026-03-01"',
    ],
  ])('refuses %j', (raw, message) => {
    expect(() => parseSeasonStarts(raw)).toThrow(new Error(message));
  });

  it(`refuses more than ${MAX_SEASON_STARTS} dates`, () => {
    const days = Array.from({ length: MAX_SEASON_STARTS + 1 }, (_, index) =>
      new Date(Date.UTC(2000, 0, 1 + index)).toISOString().slice(0, 10),
    );
    expect(() => parseSeasonStarts(days.join(','))).toThrow(
      `At most ${MAX_SEASON_STARTS} season start dates`,
    );
  });

  it('fails a function at cold start on a malformed LEAGUE_SEASON_STARTS, naming the variable', () => {
    expect(leagueSeasonStarts({})).toEqual([]);
    expect(leagueSeasonStarts({ LEAGUE_SEASON_STARTS: '2026-03-01' })).toEqual(['2026-03-01']);
    expect(() => leagueSeasonStarts({ LEAGUE_SEASON_STARTS: 'spring' })).toThrow(
      new ConfigurationError(
        'Environment variable LEAGUE_SEASON_STARTS: Season start "spring" is not a calendar date written YYYY-MM-DD',
      ),
    );
  });
});

describe('periodStart', () => {
  const now = new Date('2026-09-10T23:59:59.999Z');
  const seasons = ['2026-03-01', '2026-09-10', '2026-12-01'];

  it('starts the week 6 and the month 29 UTC days before today, whatever the hour', () => {
    expect(periodStart('week', now, seasons)).toBe('2026-09-04');
    expect(periodStart('month', now, seasons)).toBe('2026-08-12');
    expect(periodStart('week', new Date('2026-03-01T00:00:00.000Z'), [])).toBe('2026-02-23');
  });

  it('starts the season on the latest configured start that has come, today included', () => {
    expect(periodStart('season', now, seasons)).toBe('2026-09-10');
    expect(periodStart('season', new Date('2026-09-09T23:59:59.999Z'), seasons)).toBe('2026-03-01');
  });

  it('counts every vote for all, and for season before the first season or with none configured', () => {
    expect(periodStart('all', now, seasons)).toBeUndefined();
    expect(periodStart('season', new Date('2026-02-28T12:00:00Z'), seasons)).toBeUndefined();
    expect(periodStart('season', now, [])).toBeUndefined();
  });
});
