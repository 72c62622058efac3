import { randomUUID } from 'node:crypto';
import {
  AdminAddUserToGroupCommand,
  AdminDeleteUserCommand,
} from '@aws-sdk/client-cognito-identity-provider';
import { describe, expect, it } from 'vitest';
import { handler as me } from '#functions/api/me';
import { handler as signup } from '#functions/api/signup';
import { cognitoClient } from '#commons/clients';
import { LEAGUE_ADMINS_GROUP } from '#core/auth-service';
import type { Caller } from '#core/task';
import { invoke } from '#test/helpers/api-gateway';
import { decodeJwtPayload } from '#test/helpers/tokens';
import { handler as login } from '#functions/api/login';

const PASSWORD = 'Secret123';

/** A pilot signed up and logged in through the API: the caller as the authorizer passes it on. */
async function pilot(prefix: string): Promise<Caller & { email: string }> {
  const username = `${prefix}_${randomUUID().slice(0, 8)}`;
  const email = `${username}@idrl.example`;
  const created = await invoke(signup, {
    method: 'POST',
    route: '/api/auth/signup',
    body: { username, email, password1: PASSWORD, password2: PASSWORD },
  });
  expect(created.statusCode).toBe(201);
  const tokens = await invoke(login, {
    method: 'POST',
    route: '/api/auth/login',
    body: { username, password: PASSWORD },
  });
  const { sub } = decodeJwtPayload((tokens.body as { access_token: string }).access_token) as { sub: string };
  return { sub, username, email };
}

function getMe(caller: Caller) {
  return invoke(me, { method: 'GET', route: '/api/auth/me', caller });
}

describe('GET /api/auth/me', () => {
  it("answers the caller's username, email, creation time and admin: false for a pilot", async () => {
    // Prepare
    const before = Date.now();
    const caller = await pilot('me');

    // Act
    const response = await getMe(caller);

    // Assess
    expect(response.statusCode).toBe(200);
    const body = response.body as { createdAt: string };
    expect(body).toEqual({
      username: caller.username,
      email: caller.email,
      emailVerified: expect.any(Boolean) as unknown,
      createdAt: expect.any(String) as unknown,
      admin: false,
    });
    // Cognito keeps whole seconds.
    expect(Date.parse(body.createdAt)).toBeGreaterThanOrEqual(Math.floor(before / 1000) * 1000);
    expect(Date.parse(body.createdAt)).toBeLessThanOrEqual(Date.now());
  });

  it("answers admin: true once the pilot is a member of the pool's league-admins group, without a new token", async () => {
    // Prepare
    const caller = await pilot('admin');
    await cognitoClient().send(
      new AdminAddUserToGroupCommand({
        UserPoolId: process.env.USER_POOL_ID,
        Username: caller.username,
        GroupName: LEAGUE_ADMINS_GROUP,
      }),
    );

    // Act
    const response = await getMe(caller);

    // Assess
    expect(response.statusCode).toBe(200);
    expect(response.body).toMatchObject({ username: caller.username, admin: true });
  });

  it('answers 401 to a token whose account is gone', async () => {
    // Prepare
    const caller = await pilot('gone');
    await cognitoClient().send(
      new AdminDeleteUserCommand({ UserPoolId: process.env.USER_POOL_ID, Username: caller.username }),
    );

    // Act
    const response = await getMe(caller);

    // Assess
    expect(response.statusCode).toBe(401);
    expect(response.body).toEqual({ message: 'Unauthorized' });
  });

  it('answers 401 without a caller (no or an invalid token)', async () => {
    // Act
    const response = await invoke(me, { method: 'GET', route: '/api/auth/me' });

    // Assess
    expect(response.statusCode).toBe(401);
  });
});
