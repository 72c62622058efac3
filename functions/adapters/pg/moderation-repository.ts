import type pg from 'pg';
import { ALWAYS_ON, ensureUser, inTransaction, queryRows, type PgQueryOptions } from '#adapters/pg/query';
import type {
  AdminAction,
  AuditEntry,
  ModerationRepository,
  NewReport,
  ReportedVideo,
  ReportOutcome,
} from '#core/ports';
import type { AuditAction, ReportReason } from '#core/schemas';
import type { Caller } from '#core/task';

interface AuditRow {
  id: string;
  at: Date;
  admin_username: string;
  action: AuditAction;
  target_kind: 'video' | 'pilot';
  target: string;
  reason: string | null;
  detail: { votes?: number } | null;
}

function toAuditEntry(row: AuditRow): AuditEntry {
  return {
    id: Number(row.id),
    at: row.at,
    admin: row.admin_username,
    action: row.action,
    target: row.target_kind === 'video' ? { video: Number(row.target) } : { pilot: row.target },
    reason: row.reason,
    votes: row.detail?.votes ?? null,
  };
}

interface ReportedVideoRow {
  task_id: string;
  title: string;
  pilot: string;
  published: boolean;
  hidden_reason: string | null;
  reports: { reporter: string; reason: ReportReason; text: string | null; createdAt: string }[];
}

async function appendAudit(
  client: pg.PoolClient,
  entry: { admin: string; action: AuditAction; target: { video: number } | { pilot: string } },
  reason: string | null,
  detail: object | null = null,
): Promise<void> {
  const [kind, target] =
    'video' in entry.target ? ['video', String(entry.target.video)] : ['pilot', entry.target.pilot];
  await client.query(
    `INSERT INTO audit_log (admin_username, action, target_kind, target, reason, detail)
     VALUES ($1, $2, $3, $4, $5, $6)`,
    [entry.admin, entry.action, kind, target, reason, detail === null ? null : JSON.stringify(detail)],
  );
}

/**
 * Moderation in PostgreSQL (migration 12). Each admin action is one transaction that locks its target row first,
 * so concurrent actions on one video or pilot run one after the other and each sees the other's result; the audit
 * entry is written in the same transaction, only when something changed.
 */
export class PgModerationRepository implements ModerationRepository {
  constructor(
    private readonly pool: Pick<pg.Pool, 'query' | 'connect'>,
    private readonly options: PgQueryOptions = ALWAYS_ON,
  ) {}

  async report(report: NewReport, dailyLimit: number): Promise<ReportOutcome> {
    await ensureUser(this.pool, report.reporter, this.options);
    // One statement decides and inserts; a second report of the same pilot on the same video is the primary key's
    // unique violation (23505 → ConflictError), however close together the two arrive.
    const [row] = await queryRows<{
      verified: boolean;
      suspended: boolean;
      owner_id: string | null;
      recent: string;
      created_at: Date | null;
    }>(
      this.pool,
      `WITH reporter AS (SELECT email_verified_at IS NOT NULL AS verified, suspended_at IS NOT NULL AS suspended
                         FROM users WHERE id = $2),
       target AS (SELECT id, owner_id FROM tasks WHERE id = $1 AND published_at IS NOT NULL),
       recent AS (SELECT count(*) AS n FROM reports
                  WHERE reporter_sub = $2 AND created_at > now() - interval '1 day'),
       inserted AS (
         INSERT INTO reports (task_id, reporter_sub, reason, text)
         SELECT target.id, $2, $3, $4 FROM target, reporter, recent
         WHERE target.owner_id <> $2 AND reporter.verified AND NOT reporter.suspended AND recent.n < $5
         RETURNING created_at
       )
       SELECT reporter.verified, reporter.suspended, (SELECT owner_id FROM target), recent.n AS recent,
         (SELECT created_at FROM inserted)
       FROM reporter, recent`,
      [report.taskId, report.reporter.sub, report.reason, report.text ?? null, dailyLimit],
      this.options,
    );
    if (row === undefined || !row.verified) return { kind: 'unverified' };
    if (row.suspended) return { kind: 'suspended' };
    if (row.owner_id === null) return { kind: 'not-published' };
    if (row.owner_id === report.reporter.sub) return { kind: 'own-video' };
    if (row.created_at === null) return { kind: 'daily-limit' };
    return { kind: 'reported', createdAt: row.created_at };
  }

  async reportedVideos(query: { status: 'open' | 'closed'; limit: number }): Promise<ReportedVideo[]> {
    // The videos with a report of that status, by their oldest such report; then each one's reports, oldest first.
    const rows = await queryRows<ReportedVideoRow>(
      this.pool,
      `WITH videos AS (
         SELECT task_id, min(created_at) AS first_report FROM reports
         WHERE (closed_at IS NULL) = ($1 = 'open')
         GROUP BY task_id ORDER BY first_report, task_id LIMIT $2
       )
       SELECT v.task_id, t.title, o.username AS pilot, t.published_at IS NOT NULL AS published, t.hidden_reason,
         json_agg(json_build_object('reporter', ru.username, 'reason', r.reason, 'text', r.text,
                                    'createdAt', r.created_at) ORDER BY r.created_at, ru.username) AS reports
       FROM videos v
       JOIN tasks t ON t.id = v.task_id
       JOIN users o ON o.id = t.owner_id
       JOIN reports r ON r.task_id = v.task_id AND (r.closed_at IS NULL) = ($1 = 'open')
       JOIN users ru ON ru.id = r.reporter_sub
       GROUP BY v.task_id, v.first_report, t.title, o.username, t.published_at, t.hidden_reason
       ORDER BY v.first_report, v.task_id`,
      [query.status, query.limit],
      this.options,
    );
    return rows.map((row) => ({
      id: Number(row.task_id),
      title: row.title,
      pilotUsername: row.pilot,
      published: row.published,
      hiddenReason: row.hidden_reason,
      reports: row.reports.map((report) => ({
        reporterUsername: report.reporter,
        reason: report.reason,
        text: report.text,
        createdAt: new Date(report.createdAt),
      })),
    }));
  }

  hide(taskId: number, action: AdminAction & { reason: string }): Promise<boolean> {
    return inTransaction(this.pool, this.options, async (client) => {
      const current = await this.lockTask(client, taskId);
      if (current === null) return false;
      if (current.hiddenReason !== action.reason) {
        await client.query(
          `UPDATE tasks SET hidden_at = COALESCE(hidden_at, date_trunc('milliseconds', now())), hidden_reason = $2
           WHERE id = $1`,
          [taskId, action.reason],
        );
        await appendAudit(
          client,
          { admin: action.admin, action: 'hide', target: { video: taskId } },
          action.reason,
        );
      }
      // Acted on: the video's reports leave the open queue (a report filed after this one opens it again).
      await client.query('UPDATE reports SET closed_at = now() WHERE task_id = $1 AND closed_at IS NULL', [
        taskId,
      ]);
      return true;
    });
  }

  restore(taskId: number, action: AdminAction): Promise<boolean> {
    return inTransaction(this.pool, this.options, async (client) => {
      const current = await this.lockTask(client, taskId);
      if (current === null) return false;
      if (current.hiddenReason !== null) {
        await client.query('UPDATE tasks SET hidden_at = NULL, hidden_reason = NULL WHERE id = $1', [taskId]);
        await appendAudit(
          client,
          { admin: action.admin, action: 'restore', target: { video: taskId } },
          action.reason,
        );
      }
      return true;
    });
  }

  annulVotes(username: string, action: AdminAction & { reason: string }): Promise<{ votes: number } | null> {
    return inTransaction(this.pool, this.options, async (client) => {
      // The pilot's row, locked: a suspension or reinstatement moving these votes waits, or is waited for.
      const pilot = await client.query<{ id: string; username: string }>(
        `SELECT id, username FROM users WHERE lower(username) = lower($1)
           AND NOT EXISTS (SELECT 1 FROM deleted_users d WHERE d.id = users.id)
         ORDER BY id LIMIT 1 FOR UPDATE`,
        [username],
      );
      const row = pilot.rows[0];
      if (row === undefined) return null;
      const counted = await client.query('DELETE FROM votes WHERE user_sub = $1', [row.id]);
      const withheld = await client.query('DELETE FROM withheld_votes WHERE user_sub = $1', [row.id]);
      const votes = (counted.rowCount ?? 0) + (withheld.rowCount ?? 0);
      await appendAudit(
        client,
        { admin: action.admin, action: 'annul-votes', target: { pilot: row.username } },
        action.reason,
        { votes },
      );
      return { votes };
    });
  }

  setSuspension(
    pilot: Caller,
    suspension: { reason: string } | null,
    action: AdminAction,
  ): Promise<{ changed: boolean }> {
    return inTransaction(this.pool, this.options, async (client) => {
      // A pilot who never uploaded nor voted has no row yet: one is made, so the suspension holds when their
      // still-valid access token first reaches the database. A deleted account gets none.
      await client.query(
        `INSERT INTO users (id, username) SELECT $1, $2
         WHERE NOT EXISTS (SELECT 1 FROM deleted_users WHERE id = $1) ON CONFLICT (id) DO NOTHING`,
        [pilot.sub, pilot.username],
      );
      const locked = await client.query<{ suspended: boolean }>(
        'SELECT suspended_at IS NOT NULL AS suspended FROM users WHERE id = $1 FOR UPDATE',
        [pilot.sub],
      );
      const current = locked.rows[0];
      if (current === undefined || current.suspended === (suspension !== null)) return { changed: false };
      // users_suspension (migration 12) hides or shows the pilot's videos and moves their votes, in this statement.
      await client.query(
        `UPDATE users SET suspended_at = CASE WHEN $2::text IS NULL THEN NULL ELSE now() END, suspension_reason = $2
         WHERE id = $1`,
        [pilot.sub, suspension?.reason ?? null],
      );
      await appendAudit(
        client,
        {
          admin: action.admin,
          action: suspension === null ? 'reinstate' : 'suspend',
          target: { pilot: pilot.username },
        },
        action.reason,
      );
      return { changed: true };
    });
  }

  async audit(query: { limit: number; before?: number }): Promise<AuditEntry[]> {
    const rows = await queryRows<AuditRow>(
      this.pool,
      `SELECT id, at, admin_username, action, target_kind, target, reason, detail FROM audit_log
       WHERE ($2::bigint IS NULL OR id < $2) ORDER BY id DESC LIMIT $1`,
      [query.limit, query.before ?? null],
      this.options,
    );
    return rows.map(toAuditEntry);
  }

  /** The task, locked until the transaction ends; null when there is none (or it is being deleted). */
  private async lockTask(
    client: pg.PoolClient,
    taskId: number,
  ): Promise<{ hiddenReason: string | null } | null> {
    const result = await client.query<{ hidden_reason: string | null }>(
      "SELECT hidden_reason FROM tasks WHERE id = $1 AND status <> 'deleting' FOR UPDATE",
      [taskId],
    );
    const row = result.rows[0];
    return row === undefined ? null : { hiddenReason: row.hidden_reason };
  }
}
