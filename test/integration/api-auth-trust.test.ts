import { randomUUID } from 'node:crypto';
import {
  AdminAddUserToGroupCommand,
  AdminDeleteUserCommand,
} from '@aws-sdk/client-cognito-identity-provider';
import { describe, expect, inject, it } from 'vitest';
import { handler as me } from '#functions/api/me';
import { handler as signup } from '#functions/api/signup';
import { cognitoClient } from '#commons/clients';
import { CODE_EMAIL, LEAGUE_ADMINS_GROUP } from '#core/auth-service';
import type { Caller } from '#core/task';
import { invoke } from '#test/helpers/api-gateway';
import { type CheckOptions, INVALID_REQUEST } from '#test/helpers/contract';
import { decodeJwtPayload } from '#test/helpers/tokens';
import { handler as login } from '#functions/api/login';
import { handler as logout } from '#functions/api/logout';
import { handler as refresh } from '#functions/api/refresh';
import { handler as forgotPassword } from '#functions/api/forgot-password';
import { handler as resetPassword } from '#functions/api/reset-password';
import { Mailbox } from '#infra/local/services/mailbox';
import { VERIFICATION_EMAIL_SUBJECT } from '#core/verification-email';
import { verifiedInCognito } from '#test/helpers/verified-email';

const PASSWORD = 'Secret123';

/** A pilot signed up and logged in through the API: the caller as the authorizer passes it on, and its tokens. */
async function pilot(
  prefix: string,
): Promise<Caller & { email: string; refreshToken: string; expiresIn: number }> {
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
  // Verified: Cognito mails a reset code to a verified email only.
  await verifiedInCognito(username, email);
  const body = tokens.body as { access_token: string; refresh_token: string; expires_in: number };
  const { sub } = decodeJwtPayload(body.access_token) as { sub: string };
  return { sub, username, email, refreshToken: body.refresh_token, expiresIn: body.expires_in };
}

function getMe(caller: Caller) {
  return invoke(me, { method: 'GET', route: '/api/auth/me', caller });
}

function postRefresh(refreshToken: string) {
  return invoke(refresh, {
    method: 'POST',
    route: '/api/auth/refresh',
    body: { refresh_token: refreshToken },
  });
}

function postLogout(body: unknown, options?: CheckOptions) {
  return invoke(logout, { method: 'POST', route: '/api/auth/logout', body }, options);
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

describe('POST /api/auth/logout', () => {
  it('revokes the refresh token: 204, then that token refreshes nothing', async () => {
    // Prepare
    const session = await pilot('logout');
    expect((await postRefresh(session.refreshToken)).statusCode).toBe(200);

    // Act
    const response = await postLogout({ refresh_token: session.refreshToken });

    // Assess
    expect(response).toMatchObject({ statusCode: 204 });
    expect(await postRefresh(session.refreshToken)).toMatchObject({
      statusCode: 401,
      body: { message: 'Invalid or expired refresh token' },
    });
  });

  it("ends only that session: the pilot's other session still refreshes", async () => {
    // Prepare
    const first = await pilot('two');
    const second = await invoke(login, {
      method: 'POST',
      route: '/api/auth/login',
      body: { username: first.username, password: PASSWORD },
    });
    const secondRefresh = (second.body as { refresh_token: string }).refresh_token;

    // Act
    await postLogout({ refresh_token: first.refreshToken });

    // Assess
    expect((await postRefresh(secondRefresh)).statusCode).toBe(200);
  });

  it('answers 204 again for a token already revoked, and for one that never was (RFC 7009: nothing to end)', async () => {
    // Prepare
    const session = await pilot('again');
    await postLogout({ refresh_token: session.refreshToken });

    // Act
    const repeat = await postLogout({ refresh_token: session.refreshToken });
    const unknown = await postLogout({ refresh_token: 'not-a-token' });

    // Assess
    expect(repeat.statusCode).toBe(204);
    expect(unknown.statusCode).toBe(204);
  });

  it('answers 400 without a refresh token', async () => {
    // Act
    const response = await postLogout({}, INVALID_REQUEST);

    // Assess
    expect(response.statusCode).toBe(400);
    expect(response.body).toMatchObject({ errors: [{ field: 'refresh_token' }] });
  });
});

describe('access tokens', () => {
  it('live 15 minutes, the longest a logged-out session can still act (docs/api.md)', async () => {
    // Act
    const session = await pilot('ttl');

    // Assess
    expect(session.expiresIn).toBe(15 * 60);
  });
});

const mailbox = new Mailbox(inject('mailboxFile'));

function postForgot(username: string) {
  return invoke(forgotPassword, { method: 'POST', route: '/api/auth/password/forgot', body: { username } });
}

function postReset(
  body: { username: string; code: string; password1: string; password2?: string },
  options?: CheckOptions,
) {
  return invoke(
    resetPassword,
    { method: 'POST', route: '/api/auth/password/reset', body: { password2: body.password1, ...body } },
    options,
  );
}

function postLogin(username: string, password: string) {
  return invoke(login, { method: 'POST', route: '/api/auth/login', body: { username, password } });
}

/** The code of the newest message to this address in the local mailbox. */
async function newestCode(email: string): Promise<string> {
  const [message] = await mailbox.list(email);
  if (message?.code === undefined) throw new Error(`No code was mailed to ${email}`);
  return message.code;
}

describe('POST /api/auth/password/forgot', () => {
  it("answers 202 and mails a 6-digit code to the account's email, worded as the pool's template", async () => {
    // Prepare
    const session = await pilot('forgot');

    // Act
    const response = await postForgot(session.username);

    // Assess
    expect(response.statusCode).toBe(202);
    expect(response.body).toBeUndefined();
    // Newest first: the reset code, then the verification code mailed at signup.
    const messages = (await mailbox.list(session.email.toUpperCase())).slice(0, 1);
    expect(messages).toEqual([
      {
        to: session.email,
        subject: CODE_EMAIL.subject,
        text: expect.stringMatching(/^The verification code to your new account is \d{6}$/) as unknown,
        code: expect.stringMatching(/^\d{6}$/) as unknown,
        sentAt: expect.any(String) as unknown,
      },
    ]);
    expect(messages[0]?.text).toContain(messages[0]?.code);
  });

  it('mails nothing to an unverified email, and answers as for any account', async () => {
    // Prepare
    const known = await pilot('known');
    const knownAnswer = await postForgot(known.username);
    const username = `unverified_${randomUUID().slice(0, 8)}`;
    const email = `${username}@idrl.example`;
    await invoke(signup, {
      method: 'POST',
      route: '/api/auth/signup',
      body: { username, email, password1: PASSWORD, password2: PASSWORD },
    });
    const mailed = (await mailbox.list(email)).length;

    // Act
    const answer = await postForgot(username);

    // Assess
    expect(answer).toEqual(knownAnswer);
    expect(await mailbox.list(email)).toHaveLength(mailed);
  });

  it('answers an unknown user exactly as a known one, and mails nothing', async () => {
    // Prepare
    const known = await pilot('known');
    const knownAnswer = await postForgot(known.username);
    const unknownName = `nobody_${randomUUID().slice(0, 8)}`;

    // Act
    const unknownAnswer = await postForgot(unknownName);
    const unknownEmail = await postForgot(`${unknownName}@idrl.example`);

    // Assess
    expect(unknownAnswer).toEqual(knownAnswer);
    expect(unknownEmail).toEqual(knownAnswer);
    expect(await mailbox.list(`${unknownName}@idrl.example`)).toEqual([]);
  });

  it('accepts the email in place of the username', async () => {
    // Prepare
    const session = await pilot('byemail');

    // Act
    const response = await postForgot(session.email);

    // Assess
    expect(response.statusCode).toBe(202);
    // The reset code, after the verification code mailed at signup.
    expect((await mailbox.list(session.email)).map((message) => message.subject)).toEqual([
      CODE_EMAIL.subject,
      VERIFICATION_EMAIL_SUBJECT,
    ]);
  });
});

describe('POST /api/auth/password/reset', () => {
  const NEW_PASSWORD = 'Fresh4567';

  it('sets the new password with the mailed code and ends every session: old refresh tokens are refused', async () => {
    // Prepare
    const session = await pilot('reset');
    await postForgot(session.username);
    const code = await newestCode(session.email);

    // Act
    const response = await postReset({ username: session.username, code, password1: NEW_PASSWORD });

    // Assess
    expect(response.statusCode).toBe(204);
    expect((await postLogin(session.username, PASSWORD)).statusCode).toBe(401);
    expect((await postLogin(session.username, NEW_PASSWORD)).statusCode).toBe(200);
    expect(await postRefresh(session.refreshToken)).toMatchObject({ statusCode: 401 });
  });

  it('refuses a wrong code, an unknown user and a used code alike (400 on code), changing nothing', async () => {
    // Prepare
    const session = await pilot('wrong');
    await postForgot(session.username);
    const code = await newestCode(session.email);
    const wrongCode = code === '000000' ? '000001' : '000000';

    // Act
    const wrong = await postReset({ username: session.username, code: wrongCode, password1: NEW_PASSWORD });
    const unknown = await postReset({
      username: `nobody_${randomUUID().slice(0, 8)}`,
      code,
      password1: NEW_PASSWORD,
    });
    const right = await postReset({ username: session.username, code, password1: NEW_PASSWORD });
    const reused = await postReset({ username: session.username, code, password1: 'Other7890' });

    // Assess
    const refused = {
      statusCode: 400,
      body: {
        message: 'Invalid or expired code',
        errors: [{ field: 'code', message: 'Invalid or expired code' }],
      },
    };
    expect(wrong).toMatchObject(refused);
    expect(unknown).toMatchObject(refused);
    expect(right.statusCode).toBe(204);
    expect(reused).toMatchObject(refused);
    expect((await postLogin(session.username, NEW_PASSWORD)).statusCode).toBe(200);
  });

  it('holds the new password to the policy and to password2 before Cognito is asked', async () => {
    // Prepare
    const session = await pilot('policy');

    // Act
    const weak = await postReset(
      { username: session.username, code: '123456', password1: 'Weakpasss' },
      INVALID_REQUEST,
    );
    const mismatch = await postReset(
      { username: session.username, code: '123456', password1: NEW_PASSWORD, password2: 'Different1' },
      INVALID_REQUEST,
    );
    const badCode = await postReset(
      { username: session.username, code: '12ab', password1: NEW_PASSWORD },
      INVALID_REQUEST,
    );

    // Assess
    expect(weak).toMatchObject({ statusCode: 400, body: { errors: [{ field: 'password1' }] } });
    expect(mismatch).toMatchObject({ statusCode: 400, body: { errors: [{ field: 'password2' }] } });
    expect(badCode).toMatchObject({ statusCode: 400, body: { errors: [{ field: 'code' }] } });
  });
});
