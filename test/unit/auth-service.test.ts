import { describe, expect, it } from 'vitest';
import { AuthService } from '#core/auth-service';
import { UnauthorizedError } from '#core/errors';
import { OneAccountIdentity } from '#test/unit/fakes/one-account-identity';

describe('AuthService', () => {
  it('signs up with password1 and answers username and email', async () => {
    // Prepare
    const identity = new OneAccountIdentity();

    // Act
    const result = await new AuthService(identity).signUp({
      username: 'ace',
      email: 'ace@idrl.example',
      password1: 'Secret123',
      password2: 'Secret123',
    });

    // Assess
    expect(result).toEqual({ username: 'ace', email: 'ace@idrl.example' });
    expect(identity.calls).toEqual(['signUp ace ace@idrl.example Secret123']);
  });

  it('logs in by username with the token shape of docs/spec.md §2', async () => {
    // Act
    const tokens = await new AuthService(new OneAccountIdentity()).login({
      username: 'ace',
      password: 'Secret123',
    });

    // Assess
    expect(tokens).toEqual({
      access_token: 'access-1',
      refresh_token: 'refresh-1',
      token_type: 'Bearer',
      expires_in: 3600,
    });
  });

  it('hands an email to the identity provider as the login name (it resolves the alias)', async () => {
    // Prepare
    const identity = new OneAccountIdentity();

    // Act
    const login = new AuthService(identity).login({ username: 'Ace@IDRL.example', password: 'Secret123' });

    // Assess
    await expect(login).rejects.toThrow(new UnauthorizedError('Invalid username or password'));
    expect(identity.calls).toEqual(['login Ace@IDRL.example']);
  });

  it('rejects an unknown email with the same UnauthorizedError as a wrong password', async () => {
    // Prepare
    const service = new AuthService(new OneAccountIdentity());

    // Act
    const unknownEmail = service.login({ username: 'ghost@idrl.example', password: 'Secret123' });
    const wrongPassword = service.login({ username: 'ace', password: 'Wrong1234' });

    // Assess
    await expect(unknownEmail).rejects.toThrow(new UnauthorizedError('Invalid username or password'));
    await expect(wrongPassword).rejects.toThrow(new UnauthorizedError('Invalid username or password'));
  });

  it('returns the presented refresh token when the provider does not rotate it', async () => {
    // Act
    const tokens = await new AuthService(new OneAccountIdentity()).refresh('refresh-1');

    // Assess
    expect(tokens).toEqual({
      access_token: 'access-2',
      refresh_token: 'refresh-1',
      token_type: 'Bearer',
      expires_in: 3600,
    });
  });

  it('returns the rotated refresh token when the provider issues one', async () => {
    // Prepare
    const identity = new OneAccountIdentity();
    identity.refreshResult = { accessToken: 'access-3', refreshToken: 'refresh-2', expiresIn: 60 };

    // Act
    const tokens = await new AuthService(identity).refresh('refresh-1');

    // Assess
    expect(tokens).toEqual({
      access_token: 'access-3',
      refresh_token: 'refresh-2',
      token_type: 'Bearer',
      expires_in: 60,
    });
  });

  it('answers me from the identity provider, admin from the league-admins membership', async () => {
    // Prepare
    const identity = new OneAccountIdentity();
    const auth = new AuthService(identity);
    const caller = { sub: 'sub-1', username: 'ace' };

    // Act
    const pilot = await auth.me(caller);
    identity.groups = ['league-admins'];
    const admin = await auth.me(caller);

    // Assess
    expect(pilot).toEqual({
      username: 'ace',
      email: 'ace@idrl.example',
      emailVerified: true,
      createdAt: '2026-01-02T03:04:05.000Z',
      admin: false,
    });
    expect(admin.admin).toBe(true);
  });

  it('answers 401 to me when the account is gone', async () => {
    // Prepare
    const identity = new OneAccountIdentity();
    await identity.deleteUser('ace');

    // Act
    const me = new AuthService(identity).me({ sub: 'sub-1', username: 'ace' });

    // Assess
    await expect(me).rejects.toThrow(UnauthorizedError);
  });

  it('logs out by revoking the refresh token with the identity provider', async () => {
    // Prepare
    const identity = new OneAccountIdentity();

    // Act
    await new AuthService(identity).logout('refresh-1');

    // Assess
    expect(identity.calls).toEqual(['revoke refresh-1']);
  });
});
