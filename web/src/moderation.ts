/**
 * Moderation in words (docs/console.md, "Reports and the admin area"): the report reasons as pilots read them, a
 * reported video's reports summed up for the admins' queue, and an audit entry as a sentence. No DOM here, so the
 * unit tests check every wording.
 */
import type { AuditEntry, ReportReason, ReportedVideo } from './api';

export const REASON_LABELS: Record<ReportReason, string> = {
  spam: 'Spam',
  abuse: 'Abuse',
  'not-a-race': 'Not a race',
  other: 'Other',
};

/** What each reason covers, under its choice in the report dialog. */
export const REASON_HINTS: Record<ReportReason, string> = {
  spam: 'Advertising, or the same video again and again',
  abuse: 'Harassment, hate, or dangerous or illegal content',
  'not-a-race': 'Not an FPV race of the tour',
  other: 'Say what in the details',
};

export interface ReportSummary {
  /** Each reason given, most reported first (ties: the reason reported first). */
  reasons: { reason: ReportReason; count: number }[];
  /** When the first and the last of these reports arrived. */
  first: string;
  last: string;
}

/** The queue gives a video's reports oldest first; the summary keeps that order for ties. */
export function summarizeReports(reports: ReportedVideo['reports']): ReportSummary {
  const counts = new Map<ReportReason, number>();
  for (const report of reports) counts.set(report.reason, (counts.get(report.reason) ?? 0) + 1);
  const reasons = [...counts].map(([reason, count]) => ({ reason, count }));
  reasons.sort((a, b) => b.count - a.count);
  const times = reports.map((report) => report.createdAt).sort();
  return { reasons, first: times[0] ?? '', last: times.at(-1) ?? '' };
}

/** "3 reports: Not a race × 2, Spam × 1". */
export function reasonsText(summary: ReportSummary): string {
  const total = summary.reasons.reduce((sum, each) => sum + each.count, 0);
  const reasons = summary.reasons.map((each) => `${REASON_LABELS[each.reason]} × ${each.count}`).join(', ');
  return `${total === 1 ? '1 report' : `${total} reports`}: ${reasons}`;
}

/** The hide form's first reason: the reason most reported, which the admin edits or keeps. */
export function defaultHideReason(summary: ReportSummary): string {
  const top = summary.reasons[0]?.reason;
  return top === undefined ? '' : REASON_LABELS[top];
}

const ACTION_LABELS: Record<AuditEntry['action'], string> = {
  hide: 'Hidden',
  restore: 'Restored',
  suspend: 'Suspended',
  reinstate: 'Reinstated',
  'annul-votes': 'Votes annulled',
};

/** The audit entry's what: "Hidden", "Votes annulled (3 votes)". */
export function auditWhat(entry: AuditEntry): string {
  if (entry.votes === undefined) return ACTION_LABELS[entry.action];
  return `${ACTION_LABELS[entry.action]} (${entry.votes === 1 ? '1 vote' : `${entry.votes} votes`})`;
}

/** The audit entry's target in words: "Video 42", "Pilot ace". */
export function auditTargetText(entry: AuditEntry): string {
  return 'video' in entry.target ? `Video ${entry.target.video.id}` : `Pilot ${entry.target.pilot.username}`;
}
