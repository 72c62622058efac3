import { ConflictError, ForbiddenError, NotFoundError, TooManyRequestsError } from './errors';
import type {
  AuditEntry,
  IdentityProvider,
  ModerationRepository,
  PilotStandingRecorder,
  ReportedVideo,
} from './ports';
import type { AdminReportsResponse, AuditResponse, ReportRequest, ReportResponse } from './schemas';
import type { Caller } from './task';

/** Reports one pilot may file a day, on different videos (docs/api.md, "Moderation"). */
export const DAILY_REPORT_LIMIT = 20;
export const DEFAULT_ADMIN_PAGE_SIZE = 50;

/** The words a suspended pilot reads wherever they are refused (login, refresh, a vote, a report). */
export const SUSPENDED_MESSAGE = 'This account is suspended by the league';
export const VERIFY_TO_REPORT = 'Verify your email address to report videos';

/** Reports from pilots (docs/spec.md §10). */
export class ReportService {
  constructor(private readonly repository: ModerationRepository) {}

  async report(caller: Caller, taskId: number, request: ReportRequest): Promise<ReportResponse> {
    let outcome;
    try {
      outcome = await this.repository.report({ taskId, reporter: caller, ...request }, DAILY_REPORT_LIMIT);
    } catch (error) {
      if (error instanceof ConflictError)
        throw new ConflictError('You have already reported this video', [], { cause: error });
      throw error;
    }
    switch (outcome.kind) {
      case 'unverified':
        throw new ForbiddenError(VERIFY_TO_REPORT);
      case 'suspended':
        throw new ForbiddenError(SUSPENDED_MESSAGE);
      case 'not-published':
        throw new NotFoundError('Video not found');
      case 'own-video':
        throw new ForbiddenError('You cannot report your own video');
      case 'daily-limit':
        throw new TooManyRequestsError(`You can report at most ${DAILY_REPORT_LIMIT} videos a day`);
      case 'reported':
        return { video: { id: taskId }, reason: request.reason, createdAt: outcome.createdAt.toISOString() };
    }
  }
}

function reportedVideoView(video: ReportedVideo): AdminReportsResponse['data'][number] {
  return {
    video: {
      id: video.id,
      title: video.title,
      pilot: { username: video.pilotUsername },
      published: video.published,
      ...(video.hiddenReason === null ? {} : { hidden: { reason: video.hiddenReason } }),
    },
    reports: video.reports.map((report) => ({
      reporter: { username: report.reporterUsername },
      reason: report.reason,
      ...(report.text === null ? {} : { text: report.text }),
      createdAt: report.createdAt.toISOString(),
    })),
  };
}

function auditView(entry: AuditEntry): AuditResponse['data'][number] {
  return {
    id: entry.id,
    at: entry.at.toISOString(),
    admin: { username: entry.admin },
    action: entry.action,
    target:
      'video' in entry.target
        ? { video: { id: entry.target.video } }
        : { pilot: { username: entry.target.pilot } },
    ...(entry.reason === null ? {} : { reason: entry.reason }),
    ...(entry.votes === null ? {} : { votes: entry.votes }),
  };
}

/** The admins' side inside the VPC: the queue, hiding, annulling, the audit log and the suspension's records. */
export class ModerationService {
  constructor(private readonly repository: ModerationRepository) {}

  async reports(query: { status?: 'open' | 'closed'; max?: number }): Promise<AdminReportsResponse> {
    const videos = await this.repository.reportedVideos({
      status: query.status ?? 'open',
      limit: query.max ?? DEFAULT_ADMIN_PAGE_SIZE,
    });
    return { data: videos.map(reportedVideoView) };
  }

  async hide(admin: Caller, taskId: number, reason: string): Promise<void> {
    if (!(await this.repository.hide(taskId, { admin: admin.username, reason })))
      throw new NotFoundError('Video not found');
  }

  async restore(admin: Caller, taskId: number): Promise<void> {
    if (!(await this.repository.restore(taskId, { admin: admin.username, reason: null })))
      throw new NotFoundError('Video not found');
  }

  async annulVotes(admin: Caller, username: string, reason: string): Promise<void> {
    if ((await this.repository.annulVotes(username, { admin: admin.username, reason })) === null)
      throw new NotFoundError('Pilot not found');
  }

  async audit(query: { max?: number; cursor?: number }): Promise<AuditResponse> {
    const limit = query.max ?? DEFAULT_ADMIN_PAGE_SIZE;
    const rows = await this.repository.audit({ limit: limit + 1, before: query.cursor });
    const page = rows.slice(0, limit);
    const last = page.at(-1);
    return rows.length > limit && last !== undefined
      ? { data: page.map(auditView), nextCursor: String(last.id) }
      : { data: page.map(auditView) };
  }

  /** The in-VPC half of suspend and reinstate (functions/ops/pilot-standing.ts). */
  recordStanding(
    pilot: Caller,
    suspension: { reason: string } | null,
    admin: string,
  ): Promise<{ changed: boolean }> {
    return this.repository.setSuspension(pilot, suspension, { admin, reason: suspension?.reason ?? null });
  }
}

/**
 * Suspending and reinstating a pilot (outside the VPC): Cognito refuses their sign-in and refresh and ends their
 * sessions; the database, through the in-VPC function, hides their videos and withholds their votes. Both halves are
 * idempotent, so an admin repeats an action that failed half-way. Suspension stops the person first (Cognito, then
 * the database); reinstatement restores the data first, sign-in last.
 */
export class PilotStandingService {
  constructor(
    private readonly identity: IdentityProvider,
    private readonly recorder: PilotStandingRecorder,
  ) {}

  async suspend(admin: Caller, username: string, reason: string): Promise<void> {
    const pilot = await this.pilot(username);
    if (pilot.sub === admin.sub) throw new ForbiddenError('You cannot suspend yourself');
    await this.identity.suspendUser(pilot.username);
    await this.recorder.record(pilot, { reason }, admin.username);
  }

  async reinstate(admin: Caller, username: string): Promise<void> {
    const pilot = await this.pilot(username);
    await this.recorder.record(pilot, null, admin.username);
    await this.identity.reinstateUser(pilot.username);
  }

  private async pilot(username: string): Promise<Caller> {
    const found = await this.identity.findUser(username);
    if (found === null) throw new NotFoundError('Pilot not found');
    return found;
  }
}
