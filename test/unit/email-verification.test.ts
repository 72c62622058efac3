import { describe, expect, it } from 'vitest';
import { AuthService } from '#core/auth-service';
import {
  type CodeCheck,
  type EmailCodeRepository,
  EmailCodeService,
  EmailVerificationService,
} from '#core/email-verification';
import { ConflictError, TooManyRequestsError, ValidationError } from '#core/errors';
import type { Caller } from '#core/task';
import { OneAccountIdentity } from '#test/unit/fakes/one-account-identity';

const ACE: Caller = { sub: 'sub-1', username: 'ace' };
const NOW = new Date('2026-05-01T10:00:00.000Z');

/** Records what is stored; answers checks and the throttle as told. */
class FakeCodes implements EmailCodeRepository {
  stored: { hash: Buffer; sentAt: Date; expiresAt: Date }[] = [];
  throttledFor: number | null = null;
  checkAnswer: CodeCheck = { kind: 'match' };
  checked: Buffer[] = [];
  verified: string[] = [];

  store(_caller: Caller, code: { hash: Buffer; sentAt: Date; expiresAt: Date }) {
    if (this.throttledFor !== null) return Promise.resolve({ retryAfterSeconds: this.throttledFor });
    this.stored.push(code);
    return Promise.resolve({ stored: true as const });
  }

  check(_sub: string, hash: Buffer) {
    this.checked.push(hash);
    return Promise.resolve(this.checkAnswer);
  }

  markVerified(caller: Caller) {
    this.verified.push(caller.sub);
    return Promise.resolve();
  }
}

const service = (repository: FakeCodes, code = '123456') =>
  new EmailCodeService(repository, { now: () => NOW }, () => code);

describe('EmailCodeService', () => {
  it('stores only the hash of the code, valid 24 hours, and gives the code back to be mailed', async () => {
    // Prepare
    const repository = new FakeCodes();

    // Act
    const code = await service(repository).issue(ACE);

    // Assess
    expect(code).toBe('123456');
    expect(repository.stored).toEqual([
      { hash: expect.any(Buffer) as unknown, sentAt: NOW, expiresAt: new Date('2026-05-02T10:00:00.000Z') },
    ]);
    expect(repository.stored[0]?.hash.toString('utf8')).not.toContain('123456');
  });

  it('hashes the same code of two accounts differently, and checks with the hash it stored', async () => {
    // Prepare
    const repository = new FakeCodes();
    await service(repository).issue(ACE);
    await service(repository).issue({ sub: 'sub-2', username: 'bea' });

    // Act
    await service(repository).check(ACE, '123456');

    // Assess
    expect(repository.stored[0]?.hash.equals(repository.stored[1]?.hash ?? Buffer.alloc(0))).toBe(false);
    expect(repository.checked[0]?.equals(repository.stored[0]?.hash ?? Buffer.alloc(0))).toBe(true);
  });

  it('refuses a code the throttle holds back with 429 and its wait', async () => {
    // Prepare
    const repository = new FakeCodes();
    repository.throttledFor = 42;

    // Act
    const issuing = service(repository).issue(ACE);

    // Assess
    await expect(issuing).rejects.toBeInstanceOf(TooManyRequestsError);
    await expect(issuing).rejects.toMatchObject({ retryAfterSeconds: 42 });
  });

  it.each([
    [{ kind: 'void' } as const, 'Invalid or expired code'],
    [{ kind: 'mismatch', attemptsLeft: 2 } as const, 'Invalid or expired code'],
    [{ kind: 'mismatch', attemptsLeft: 0 } as const, 'This code is no longer valid: request a new one'],
  ])('answers %o with a 400 on code: %s', async (answer, message) => {
    // Prepare
    const repository = new FakeCodes();
    repository.checkAnswer = answer;

    // Act
    const checking = service(repository).check(ACE, '123456');

    // Assess
    await expect(checking).rejects.toEqual(new ValidationError(message, [{ field: 'code', message }]));
  });
});

describe('EmailVerificationService', () => {
  const codes = () => {
    const calls: string[] = [];
    return {
      calls,
      issue: (caller: Caller) => {
        calls.push(`issue ${caller.sub}`);
        return Promise.resolve('654321');
      },
      check: (caller: Caller, code: string) => {
        calls.push(`check ${caller.sub} ${code}`);
        return Promise.resolve();
      },
      markVerified: (caller: Caller) => {
        calls.push(`markVerified ${caller.sub}`);
        return Promise.resolve();
      },
    };
  };

  it('checks the code, then marks the email verified in Cognito, then the mirror, in this order', async () => {
    // Prepare
    const identity = new OneAccountIdentity();
    identity.emailVerified = false;
    const store = codes();

    // Act
    await new EmailVerificationService(identity, store).verify(ACE, '654321');

    // Assess
    expect(store.calls).toEqual(['check sub-1 654321', 'markVerified sub-1']);
    expect(identity.calls).toEqual(['getEmail ace', 'markEmailVerified ace ace@idrl.example']);
  });

  it('only sets the mirror of an account Cognito already calls verified (a retry, an older account)', async () => {
    // Prepare
    const identity = new OneAccountIdentity();
    const store = codes();

    // Act
    await new EmailVerificationService(identity, store).verify(ACE, '000000');

    // Assess
    expect(store.calls).toEqual(['markVerified sub-1']);
  });

  it('mails a new code to the account’s email, and refuses once the email is verified', async () => {
    // Prepare
    const identity = new OneAccountIdentity();
    identity.emailVerified = false;
    const store = codes();
    const verification = new EmailVerificationService(identity, store);

    // Act
    await verification.resend(ACE);
    identity.emailVerified = true;
    const again = verification.resend(ACE);

    // Assess
    expect(identity.calls).toContain('sendVerificationCode ace ace@idrl.example 654321');
    await expect(again).rejects.toBeInstanceOf(ConflictError);
  });
});

describe('AuthService.signUp and the first code', () => {
  const request = {
    username: 'ace',
    email: 'ace@idrl.example',
    password1: 'Secret123',
    password2: 'Secret123',
  };

  it('has the first code sent to the new account', async () => {
    // Prepare
    const sent: string[] = [];
    const auth = new AuthService(new OneAccountIdentity(), {
      send: (caller, email) => {
        sent.push(`${caller.sub} ${caller.username} ${email}`);
        return Promise.resolve();
      },
      onFailure: () => undefined,
    });

    // Act
    const answer = await auth.signUp(request);

    // Assess
    expect(answer).toEqual({ username: 'ace', email: 'ace@idrl.example' });
    expect(sent).toEqual(['sub-1 ace ace@idrl.example']);
  });

  it('answers 201 all the same when the code cannot be sent, and reports the failure', async () => {
    // Prepare
    const failures: unknown[] = [];
    const failure = new Error('Lambda unreachable');
    const auth = new AuthService(new OneAccountIdentity(), {
      send: () => Promise.reject(failure),
      onFailure: (error) => failures.push(error),
    });

    // Act
    const answer = await auth.signUp(request);

    // Assess
    expect(answer).toEqual({ username: 'ace', email: 'ace@idrl.example' });
    expect(failures).toEqual([failure]);
  });
});
