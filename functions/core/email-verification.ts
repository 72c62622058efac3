/**
 * Verifying a pilot's email with the API's own codes (docs/api.md, "Verifying the email"; docs/spec.md §11).
 *
 * Cognito's own attribute verification (VerifyUserAttribute) needs an access token with the self-service scope,
 * which the pool's pre-token-generation trigger removes from every token. So the API makes its own 6-digit codes
 * from a CSPRNG, keeps only their hash in the database (inside the VPC, `EmailCodeService`), and has Cognito mail
 * them: AdminUpdateUserAttributes marks the email unverified, Cognito sends its verification message, and the pool's
 * CustomMessage trigger writes the API's code into it. Outside the VPC, `EmailVerificationService` joins the two.
 */
import { createHash, randomInt } from 'node:crypto';
import { ConflictError, TooManyRequestsError, UnauthorizedError, ValidationError } from './errors';
import type { Clock, IdentityProvider } from './ports';
import type { Caller } from './task';
import { VERIFICATION_CODE_HOURS } from './verification-email';

/** Wrong codes before the code is void (a new one must be sent). */
export const MAX_CODE_ATTEMPTS = 5;
/** Seconds between two codes to one account. */
export const RESEND_INTERVAL_SECONDS = 60;
/** Codes to one account in 24 hours: Cognito's default sender mails 50 a day for the whole pool (docs/infra.md). */
export const MAX_CODES_PER_DAY = 5;

const INVALID_CODE = 'Invalid or expired code';
const VOID_CODE = 'This code is no longer valid: request a new one';

/** What a check of a code found (the repository's single statement decides it). */
export type CodeCheck = { kind: 'match' } | { kind: 'mismatch'; attemptsLeft: number } | { kind: 'void' };

/** The database's half, inside the VPC. */
export interface EmailCodeRepository {
  /**
   * Stores a new code's hash for the caller (creating the users row if need be) unless the throttle refuses it:
   * then the seconds until it would not.
   */
  store(
    caller: Caller,
    code: { hash: Buffer; sentAt: Date; expiresAt: Date },
    limits: { intervalSeconds: number; perDay: number },
  ): Promise<{ stored: true } | { retryAfterSeconds: number }>;
  /** Compares the hash with the caller's live code and counts a wrong one, in one statement. */
  check(sub: string, hash: Buffer, now: Date, maxAttempts: number): Promise<CodeCheck>;
  /** Sets users.email_verified_at (once), publishes the pilot's public videos held back, drops the code. */
  markVerified(caller: Caller): Promise<void>;
}

/** The codes as the functions outside the VPC see them (functions/adapters/lambda/email-codes.ts). */
export interface EmailCodes {
  /** A new code for the caller; TooManyRequestsError when the throttle refuses it. */
  issue(caller: Caller): Promise<string>;
  /** ValidationError on `code` unless it is the caller's live code. */
  check(caller: Caller, code: string): Promise<void>;
  markVerified(caller: Caller): Promise<void>;
}

/** Bound to the account: the same code of two pilots hashes differently. */
function hashCode(sub: string, code: string): Buffer {
  return createHash('sha256').update(`${sub}:${code}`).digest();
}

function codeError(message: string): ValidationError {
  return new ValidationError(message, [{ field: 'code', message }]);
}

/** Inside the VPC: the codes' rules over the repository. */
export class EmailCodeService implements EmailCodes {
  constructor(
    private readonly repository: EmailCodeRepository,
    private readonly clock: Clock,
    private readonly newCode: () => string = () => String(randomInt(0, 1_000_000)).padStart(6, '0'),
  ) {}

  async issue(caller: Caller): Promise<string> {
    const code = this.newCode();
    const sentAt = this.clock.now();
    const outcome = await this.repository.store(
      caller,
      {
        hash: hashCode(caller.sub, code),
        sentAt,
        expiresAt: new Date(sentAt.getTime() + VERIFICATION_CODE_HOURS * 3_600_000),
      },
      { intervalSeconds: RESEND_INTERVAL_SECONDS, perDay: MAX_CODES_PER_DAY },
    );
    if ('retryAfterSeconds' in outcome)
      throw new TooManyRequestsError('A code was sent recently: wait before asking for another', {
        retryAfterSeconds: outcome.retryAfterSeconds,
      });
    return code;
  }

  async check(caller: Caller, code: string): Promise<void> {
    const outcome = await this.repository.check(
      caller.sub,
      hashCode(caller.sub, code),
      this.clock.now(),
      MAX_CODE_ATTEMPTS,
    );
    if (outcome.kind === 'void') throw codeError(INVALID_CODE);
    if (outcome.kind === 'mismatch') throw codeError(outcome.attemptsLeft > 0 ? INVALID_CODE : VOID_CODE);
  }

  markVerified(caller: Caller): Promise<void> {
    return this.repository.markVerified(caller);
  }
}

/** Outside the VPC: Cognito (the email, its verified flag, the message) and the codes inside the VPC. */
export class EmailVerificationService {
  constructor(
    private readonly identity: IdentityProvider,
    private readonly codes: EmailCodes,
  ) {}

  /** A new code, mailed through Cognito to the email given (the account's). */
  async sendCode(caller: Caller, email: string): Promise<void> {
    const code = await this.codes.issue(caller);
    await this.identity.sendVerificationCode(caller.username, email, code);
  }

  async resend(caller: Caller): Promise<void> {
    const account = await this.account(caller);
    if (account.verified)
      throw new ConflictError('Your email is already verified', [
        { field: 'email', message: 'Your email is already verified' },
      ]);
    await this.sendCode(caller, account.email);
  }

  /**
   * The code is checked inside the VPC first, then Cognito marks the email verified (which fails if another
   * account has verified the same address), and only then the database's mirror is set, deleting the code: a
   * failure in between leaves the code valid, so the pilot simply tries again. An account Cognito already calls
   * verified (a retry after such a failure, or an account from before verification existed) only gets its mirror.
   */
  async verify(caller: Caller, code: string): Promise<void> {
    const account = await this.account(caller);
    if (!account.verified) {
      await this.codes.check(caller, code);
      await this.identity.markEmailVerified(caller.username, account.email);
    }
    await this.codes.markVerified(caller);
  }

  private async account(caller: Caller): Promise<{ email: string; verified: boolean }> {
    const account = await this.identity.getEmail(caller.username);
    // A token that outlived its account (deleted since): the caller is nobody any more.
    if (account === null) throw new UnauthorizedError('Unauthorized');
    return account;
  }
}
