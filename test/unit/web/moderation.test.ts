import { describe, expect, it } from 'vitest';
import type { AuditEntry, ReportedVideo } from '#web/src/api';
import {
  auditTargetText,
  auditWhat,
  defaultHideReason,
  reasonsText,
  summarizeReports,
} from '#web/src/moderation';

const report = (
  reason: ReportedVideo['reports'][number]['reason'],
  createdAt: string,
): ReportedVideo['reports'][number] => ({ reporter: { username: `fan-${createdAt}` }, reason, createdAt });

describe('the report queue in words', () => {
  it('counts each reason, most reported first, ties in the order they were first reported, with the first and last time', () => {
    // Prepare: the queue gives a video's reports oldest first
    const reports = [
      report('spam', '2026-12-01T10:00:00.000Z'),
      report('not-a-race', '2026-12-02T10:00:00.000Z'),
      report('abuse', '2026-12-03T10:00:00.000Z'),
      report('not-a-race', '2026-12-04T10:00:00.000Z'),
    ];

    // Act
    const summary = summarizeReports(reports);

    // Assess
    expect(summary).toEqual({
      reasons: [
        { reason: 'not-a-race', count: 2 },
        { reason: 'spam', count: 1 },
        { reason: 'abuse', count: 1 },
      ],
      first: '2026-12-01T10:00:00.000Z',
      last: '2026-12-04T10:00:00.000Z',
    });
    expect(reasonsText(summary)).toBe('4 reports: Not a race × 2, Spam × 1, Abuse × 1');
    expect(defaultHideReason(summary)).toBe('Not a race');
  });

  it('says one report in the singular and prefills the hide reason from it', () => {
    const summary = summarizeReports([report('other', '2026-12-05T08:00:00.000Z')]);

    expect(reasonsText(summary)).toBe('1 report: Other × 1');
    expect(defaultHideReason(summary)).toBe('Other');
    expect([summary.first, summary.last]).toEqual(['2026-12-05T08:00:00.000Z', '2026-12-05T08:00:00.000Z']);
  });
});

describe('the audit log in words', () => {
  const entry = (fields: Partial<AuditEntry>): AuditEntry => ({
    id: 1,
    at: '2026-12-07T10:00:00.000Z',
    admin: { username: 'ref' },
    action: 'hide',
    target: { video: { id: 42 } },
    ...fields,
  });

  it('names what was done and to what, with the number of annulled votes', () => {
    expect(
      [
        entry({ action: 'hide', reason: 'Spam' }),
        entry({ action: 'restore' }),
        entry({ action: 'suspend', target: { pilot: { username: 'Ace' } } }),
        entry({ action: 'reinstate', target: { pilot: { username: 'Ace' } } }),
        entry({ action: 'annul-votes', target: { pilot: { username: 'Ace' } }, votes: 3 }),
        entry({ action: 'annul-votes', target: { pilot: { username: 'Ace' } }, votes: 1 }),
      ].map((each) => [auditWhat(each), auditTargetText(each)]),
    ).toEqual([
      ['Hidden', 'Video 42'],
      ['Restored', 'Video 42'],
      ['Suspended', 'Pilot Ace'],
      ['Reinstated', 'Pilot Ace'],
      ['Votes annulled (3 votes)', 'Pilot Ace'],
      ['Votes annulled (1 vote)', 'Pilot Ace'],
    ]);
  });
});
