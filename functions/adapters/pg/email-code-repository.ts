import type pg from 'pg';
import { ALWAYS_ON, ensureUser, queryRows, type PgQueryOptions } from '#adapters/pg/query';
import type { CodeCheck, EmailCodeRepository } from '#core/email-verification';
import type { Caller } from '#core/task';

const DAY_SECONDS = 86_400;

/** The pilot's verification code and the verified mirror (migration 11). */
export class PgEmailCodeRepository implements EmailCodeRepository {
  constructor(
    private readonly pool: Pick<pg.Pool, 'query'>,
    private readonly options: PgQueryOptions = ALWAYS_ON,
  ) {}

  /**
   * One upsert decides: a first code is stored; a later one replaces it (attempts back to 0) only when the last
   * was sent at least `intervalSeconds` ago and fewer than `perDay` were sent in the current 24-hour window.
   */
  async store(
    caller: Caller,
    code: { hash: Buffer; sentAt: Date; expiresAt: Date },
    limits: { intervalSeconds: number; perDay: number },
  ): Promise<{ stored: true } | { retryAfterSeconds: number }> {
    await ensureUser(this.pool, caller, this.options);
    const stored = await queryRows(
      this.pool,
      `INSERT INTO email_verification_codes AS c
         (user_sub, code_hash, expires_at, attempts, sent_at, window_started_at, sends)
       VALUES ($1, $2, $3, 0, $4, $4, 1)
       ON CONFLICT (user_sub) DO UPDATE SET
         code_hash = EXCLUDED.code_hash, expires_at = EXCLUDED.expires_at, attempts = 0, sent_at = EXCLUDED.sent_at,
         window_started_at = CASE WHEN c.window_started_at <= $4 - make_interval(secs => $7)
           THEN EXCLUDED.sent_at ELSE c.window_started_at END,
         sends = CASE WHEN c.window_started_at <= $4 - make_interval(secs => $7) THEN 1 ELSE c.sends + 1 END
       WHERE c.sent_at <= $4 - make_interval(secs => $5)
         AND (c.window_started_at <= $4 - make_interval(secs => $7) OR c.sends < $6)
       RETURNING 1`,
      [
        caller.sub,
        code.hash,
        code.expiresAt,
        code.sentAt,
        limits.intervalSeconds,
        limits.perDay,
        DAY_SECONDS,
      ],
      this.options,
    );
    if (stored.length > 0) return { stored: true };
    const [last] = await queryRows<{ sent_at: Date; window_started_at: Date; sends: number }>(
      this.pool,
      'SELECT sent_at, window_started_at, sends FROM email_verification_codes WHERE user_sub = $1',
      [caller.sub],
      this.options,
    );
    if (last === undefined) return { retryAfterSeconds: 1 };
    const openAt = Math.max(
      last.sent_at.getTime() + limits.intervalSeconds * 1000,
      last.sends >= limits.perDay ? last.window_started_at.getTime() + DAY_SECONDS * 1000 : 0,
    );
    return { retryAfterSeconds: Math.max(1, Math.ceil((openAt - code.sentAt.getTime()) / 1000)) };
  }

  /** The row's lock makes simultaneous wrong codes count one by one: no more than `maxAttempts` are ever compared. */
  async check(sub: string, hash: Buffer, now: Date, maxAttempts: number): Promise<CodeCheck> {
    const [row] = await queryRows<{ matched: boolean; attempts: number }>(
      this.pool,
      `UPDATE email_verification_codes
       SET attempts = attempts + CASE WHEN code_hash = $2 THEN 0 ELSE 1 END
       WHERE user_sub = $1 AND expires_at > $3 AND attempts < $4
       RETURNING code_hash = $2 AS matched, attempts`,
      [sub, hash, now, maxAttempts],
      this.options,
    );
    if (row === undefined) return { kind: 'void' };
    return row.matched ? { kind: 'match' } : { kind: 'mismatch', attemptsLeft: maxAttempts - row.attempts };
  }

  /**
   * Three statements, each idempotent, in this order: a failure part-way is completed by the next call (the verify
   * route calls this again for an account Cognito already calls verified). The tasks' update re-runs the publication
   * trigger (migration 11), which now sees the verified owner: the pilot's public videos appear at once.
   */
  async markVerified(caller: Caller): Promise<void> {
    await ensureUser(this.pool, caller, this.options);
    await queryRows(
      this.pool,
      'UPDATE users SET email_verified_at = now() WHERE id = $1 AND email_verified_at IS NULL',
      [caller.sub],
      this.options,
    );
    await queryRows(
      this.pool,
      `UPDATE tasks SET public = public
       WHERE owner_id = $1 AND status = 'processed' AND public AND published_at IS NULL`,
      [caller.sub],
      this.options,
    );
    await queryRows(
      this.pool,
      'DELETE FROM email_verification_codes WHERE user_sub = $1',
      [caller.sub],
      this.options,
    );
  }
}
