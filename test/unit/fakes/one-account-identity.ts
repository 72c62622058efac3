import { UnauthorizedError } from '#core/errors';
import type { IdentityAccount, IdentityProvider, IdentityTokens } from '#core/ports';

/** An identity provider with one account, `ace` (sub-1, password Secret123); records what was asked of it. */
export class OneAccountIdentity implements IdentityProvider {
  readonly calls: string[] = [];
  refreshResult: IdentityTokens = { accessToken: 'access-2', expiresIn: 3600 };
  /** The account's sub; null once the account is deleted. */
  sub: string | null = 'sub-1';

  signUp(input: { username: string; email: string; password: string }): Promise<{ sub: string }> {
    this.calls.push(`signUp ${input.username} ${input.email} ${input.password}`);
    return Promise.resolve({ sub: 'sub-1' });
  }

  login(input: { username: string; password: string }): Promise<IdentityTokens> {
    this.calls.push(`login ${input.username}`);
    if (this.sub === null || input.username !== 'ace' || input.password !== 'Secret123')
      return Promise.reject(new UnauthorizedError('Invalid username or password'));
    return Promise.resolve({ accessToken: 'access-1', refreshToken: 'refresh-1', expiresIn: 3600 });
  }

  refresh(refreshToken: string): Promise<IdentityTokens> {
    this.calls.push(`refresh ${refreshToken}`);
    return Promise.resolve(this.refreshResult);
  }

  revoke(refreshToken: string): Promise<void> {
    this.calls.push(`revoke ${refreshToken}`);
    return Promise.resolve();
  }

  forgotPassword(username: string): Promise<void> {
    this.calls.push(`forgotPassword ${username}`);
    return Promise.resolve();
  }

  resetPassword(input: { username: string; code: string; password: string }): Promise<void> {
    this.calls.push(`resetPassword ${input.username} ${input.code} ${input.password}`);
    return Promise.resolve();
  }

  findUser(username: string): Promise<{ sub: string; username: string } | null> {
    this.calls.push(`findUser ${username}`);
    return Promise.resolve(
      username === 'ace' && this.sub !== null ? { sub: this.sub, username: 'ace' } : null,
    );
  }

  checkPassword(input: { username: string; password: string }): Promise<boolean> {
    this.calls.push(`checkPassword ${input.username}`);
    return Promise.resolve(this.sub !== null && input.username === 'ace' && input.password === 'Secret123');
  }

  /** ace's groups, as getAccount answers them. */
  groups: string[] = [];

  getEmail(username: string): Promise<{ email: string; verified: boolean } | null> {
    this.calls.push(`getEmail ${username}`);
    if (username !== 'ace' || this.sub === null) return Promise.resolve(null);
    return Promise.resolve({ email: 'ace@idrl.example', verified: this.emailVerified });
  }

  getAccount(username: string): Promise<IdentityAccount | null> {
    this.calls.push(`getAccount ${username}`);
    if (username !== 'ace' || this.sub === null) return Promise.resolve(null);
    return Promise.resolve({
      username: 'ace',
      email: 'ace@idrl.example',
      emailVerified: this.emailVerified,
      createdAt: new Date('2026-01-02T03:04:05.000Z'),
      groups: this.groups,
    });
  }

  sendVerificationCode(username: string, email: string, code: string): Promise<void> {
    this.calls.push(`sendVerificationCode ${username} ${email} ${code}`);
    return Promise.resolve();
  }

  markEmailVerified(username: string, email: string): Promise<void> {
    this.calls.push(`markEmailVerified ${username} ${email}`);
    this.emailVerified = true;
    return Promise.resolve();
  }

  /** Whether ace's email is verified, as getAccount answers it. */
  emailVerified = true;
  suspendUser(username: string): Promise<void> {
    this.calls.push(`suspendUser ${username}`);
    return Promise.resolve();
  }

  reinstateUser(username: string): Promise<void> {
    this.calls.push(`reinstateUser ${username}`);
    return Promise.resolve();
  }

  groupsOf(username: string): Promise<string[]> {
    this.calls.push(`groupsOf ${username}`);
    return Promise.resolve(username === 'ace' && this.sub !== null ? this.groups : []);
  }

  deleteUser(username: string): Promise<void> {
    this.calls.push(`deleteUser ${username}`);
    if (username === 'ace') this.sub = null;
    return Promise.resolve();
  }
}
