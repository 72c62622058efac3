import { randomUUID } from 'node:crypto';
import {
  AdminAddUserToGroupCommand,
  AdminRemoveUserFromGroupCommand,
  ListUsersCommand,
  SignUpCommand,
  UpdateUserAttributesCommand,
} from '@aws-sdk/client-cognito-identity-provider';
import { beforeAll, describe, expect, it } from 'vitest';
import { handler as listTasks } from '#functions/api/list-tasks';
import { handler as login } from '#functions/api/login';
import { handler as refresh } from '#functions/api/refresh';
import { handler as signup } from '#functions/api/signup';
import { cognitoClient } from '#commons/clients';
import { LEAGUE_ADMINS_GROUP } from '#core/auth-service';
import { securityHeaders } from '#commons/http';
import { apiEvent, invoke } from '#test/helpers/api-gateway';
import { authorize } from '#test/helpers/authorizer';
import { INVALID_REQUEST } from '#test/helpers/contract';
import { cognitoLocalKey, decodeJwtPayload, foreignKey, signJwt, unsignedJwt } from '#test/helpers/tokens';
import { anyNumber, anyString } from '#test/helpers/matchers';
import { verifiedInCognito } from '#test/helpers/verified-email';

const PASSWORD = 'Secret123';

function uniqueName(prefix: string): string {
  return `${prefix}_${randomUUID().slice(0, 8)}`;
}

async function usersNamed(username: string): Promise<number> {
  const output = await cognitoClient().send(
    new ListUsersCommand({ UserPoolId: process.env.USER_POOL_ID, Filter: `username = "${username}"` }),
  );
  return output.Users?.length ?? 0;
}

async function signUp(username: string, email = `${username}@idrl.example`) {
  return invoke(signup, {
    method: 'POST',
    route: '/api/auth/signup',
    body: { username, email, password1: PASSWORD, password2: PASSWORD },
  });
}

describe('POST /api/auth/signup', () => {
  it('creates a confirmed account and answers 201 with username and lowercased email', async () => {
    // Prepare
    const username = uniqueName('ace');

    // Act
    const response = await invoke(signup, {
      method: 'POST',
      route: '/api/auth/signup',
      body: {
        username,
        email: `${username.toUpperCase()}@IDRL.example`,
        password1: PASSWORD,
        password2: PASSWORD,
      },
    });

    // Assess
    expect(response).toEqual({
      statusCode: 201,
      headers: securityHeaders,
      body: { username, email: `${username}@idrl.example` },
    });
    expect(
      (
        await invoke(login, {
          method: 'POST',
          route: '/api/auth/login',
          body: { username, password: PASSWORD },
        })
      ).statusCode,
    ).toBe(200);
  });

  it('answers 409 on the username field when the username is taken', async () => {
    // Prepare
    const username = uniqueName('taken');
    await signUp(username);

    // Act
    const response = await signUp(username, `${uniqueName('other')}@idrl.example`);

    // Assess
    expect(response).toEqual({
      statusCode: 409,
      headers: securityHeaders,
      body: {
        message: 'Username is already taken',
        errors: [{ field: 'username', message: 'Username is already taken' }],
      },
    });
  });

  it('answers 201 to an email another account holds, in another case: sign-up never tells', async () => {
    // Prepare
    const first = uniqueName('mail');
    await signUp(first);
    await verifiedInCognito(first, `${first}@idrl.example`);
    const second = uniqueName('mail');

    // Act
    const response = await signUp(second, `${first.toUpperCase()}@IDRL.EXAMPLE`);

    // Assess
    expect(response).toEqual({
      statusCode: 201,
      headers: securityHeaders,
      body: { username: second, email: `${first}@idrl.example` },
    });
    expect(await usersNamed(second)).toBe(1);
  });

  it.each([
    [
      'mismatched passwords',
      { password2: 'Secret124' },
      [{ field: 'password2', message: 'Passwords do not match' }],
    ],
    [
      'a weak password',
      { password1: 'weakpass', password2: 'weakpass' },
      [
        { field: 'password1', message: 'Must contain an upper-case letter' },
        { field: 'password1', message: 'Must contain a digit' },
      ],
    ],
    ['an invalid email', { email: 'nobody' }, [{ field: 'email', message: 'Must be a valid email address' }]],
    [
      'an injection-looking username',
      { username: 'x"; DROP TABLE users;--' },
      [{ field: 'username', message: 'Must be 3–32 characters of letters, digits, _ . -' }],
    ],
    [
      'a unicode username',
      { username: 'pilotó😀' },
      [{ field: 'username', message: 'Must be 3–32 characters of letters, digits, _ . -' }],
    ],
    ['an extra field', { admin: true }, [{ field: 'admin', message: 'Unknown field' }]],
    [
      'a wrong-typed field',
      { password1: 12345678 },
      [{ field: 'password1', message: 'Invalid input: expected string, received number' }],
    ],
  ])('answers 400 for %s and creates no account', async (_case, change, errors) => {
    // Prepare
    const username = uniqueName('bad');
    const body = {
      username,
      email: `${username}@idrl.example`,
      password1: PASSWORD,
      password2: PASSWORD,
      ...change,
    };

    // Act
    const response = await invoke(
      signup,
      { method: 'POST', route: '/api/auth/signup', body },
      INVALID_REQUEST,
    );

    // Assess
    expect(response).toEqual({
      statusCode: 400,
      headers: securityHeaders,
      body: { message: 'Invalid request', errors },
    });
    expect(await usersNamed(username)).toBe(0);
  });

  it.each([
    ['a missing body', undefined, 'Invalid request'],
    ['malformed JSON', '{"username":', 'The request body is not valid JSON'],
    ['a JSON array', '[]', 'The request body must be a JSON object'],
  ])('answers 400 for %s', async (_case, body, message) => {
    // Act
    const response = await invoke(
      signup,
      { method: 'POST', route: '/api/auth/signup', body },
      INVALID_REQUEST,
    );

    // Assess
    expect(response.statusCode).toBe(400);
    expect(response.body).toMatchObject({ message });
  });

  it('answers 413 for an oversized body', async () => {
    // Act
    const response = await invoke(
      signup,
      { method: 'POST', route: '/api/auth/signup', body: { username: 'x'.repeat(70_000) } },
      INVALID_REQUEST,
    );

    // Assess
    expect(response).toEqual({
      statusCode: 413,
      headers: securityHeaders,
      body: { message: 'The request body is larger than 65536 bytes' },
    });
  });
});

describe('POST /api/auth/signup under simultaneous requests', () => {
  it('gives 201 to each of 20 parallel signups sharing one email: an unverified email blocks nobody', async () => {
    // Prepare
    const email = `${uniqueName('race')}@idrl.example`;
    const usernames = Array.from({ length: 20 }, () => uniqueName('racer'));

    // Act
    const responses = await Promise.all(usernames.map((username) => signUp(username, email)));

    // Assess: which of them owns the address is decided by verification (api-verify-email.test.ts).
    expect(responses).toEqual(
      usernames.map((username) => ({ statusCode: 201, headers: securityHeaders, body: { username, email } })),
    );
    const accounts = await Promise.all(usernames.map((username) => usersNamed(username)));
    expect(accounts).toEqual(usernames.map(() => 1));
  });

  it('gives exactly one 201 to 20 parallel signups whose usernames differ only in case', async () => {
    // Prepare
    // The first five characters are letters, so each index's bits give a distinct variant.
    const base = uniqueName('casepilot');
    const variants = Array.from({ length: 20 }, (_, index) =>
      Array.from(base, (char, at) => ((index >> (at % 5)) & 1 ? char.toUpperCase() : char)).join(''),
    );

    expect(new Set(variants).size).toBe(20);

    // Act
    const responses = await Promise.all(
      variants.map((username, index) => signUp(username, `${base}-${index}@idrl.example`)),
    );

    // Assess
    expect(responses.filter((response) => response.statusCode === 201)).toHaveLength(1);
    expect(responses.filter((response) => response.statusCode === 409)).toEqual(
      Array.from({ length: 19 }, () => ({
        statusCode: 409,
        headers: securityHeaders,
        body: {
          message: 'Username is already taken',
          errors: [{ field: 'username', message: 'Username is already taken' }],
        },
      })),
    );
  });
});

describe('the user pool has no side door', () => {
  it("refuses Cognito's public SignUp with the app client id from the tokens", async () => {
    // Prepare
    const username = uniqueName('side');

    // Act
    const signingUp = cognitoClient().send(
      new SignUpCommand({
        ClientId: process.env.USER_POOL_CLIENT_ID,
        Username: username,
        Password: PASSWORD,
        UserAttributes: [{ Name: 'email', Value: `${username}@idrl.example` }],
      }),
    );

    // Assess
    await expect(signingUp).rejects.toMatchObject({
      name: 'NotAuthorizedException',
      message: 'SignUp is not permitted for this user pool',
    });
    expect(await usersNamed(username)).toBe(0);
  });

  it("refuses a user's own change of their email, so nobody can take over another's address", async () => {
    // Prepare
    const victim = uniqueName('victim');
    const thief = uniqueName('thief');
    await signUp(victim);
    await verifiedInCognito(victim, `${victim}@idrl.example`);
    await signUp(thief);
    const { access_token: accessToken } = (
      await invoke(login, {
        method: 'POST',
        route: '/api/auth/login',
        body: { username: thief, password: PASSWORD },
      })
    ).body as { access_token: string };

    // Act
    const updating = cognitoClient().send(
      new UpdateUserAttributesCommand({
        AccessToken: accessToken,
        UserAttributes: [{ Name: 'email', Value: `${victim}@idrl.example` }],
      }),
    );

    // Assess: the access token cannot call the self-service API at all (its scope is suppressed). That is the only
    // guard: the client's WriteAttributes must include the required email, or Cognito refuses the client
    // (test/infra/identity.test.ts).
    await expect(updating).rejects.toMatchObject({
      name: 'NotAuthorizedException',
      message: 'Access Token does not have required scopes',
    });
    const byEmail = await invoke(login, {
      method: 'POST',
      route: '/api/auth/login',
      body: { username: `${victim}@idrl.example`, password: PASSWORD },
    });
    const { access_token: victimToken } = byEmail.body as { access_token: string };
    expect(decodeJwtPayload(victimToken).username).toBe(victim);
  });
});

describe('POST /api/auth/login and /api/auth/refresh', () => {
  const username = uniqueName('pilot');

  beforeAll(async () => {
    await signUp(username);
    await verifiedInCognito(username, `${username}@idrl.example`);
  });

  it('logs in by username with Bearer tokens the authorizer accepts', async () => {
    // Act
    const response = await invoke(login, {
      method: 'POST',
      route: '/api/auth/login',
      body: { username, password: PASSWORD },
    });

    // Assess
    expect(response).toEqual({
      statusCode: 200,
      headers: securityHeaders,
      body: {
        access_token: anyString,
        refresh_token: anyString,
        token_type: 'Bearer',
        expires_in: anyNumber,
      },
    });
    const { access_token: accessToken } = response.body as { access_token: string };
    const decision = await authorize(accessToken);
    expect(decision).toEqual({
      isAuthorized: true,
      context: { sub: decodeJwtPayload(accessToken).sub, username, admin: false },
    });
  });

  it('logs in by email in any case', async () => {
    // Act
    const response = await invoke(login, {
      method: 'POST',
      route: '/api/auth/login',
      body: { username: `${username.toUpperCase()}@idrl.EXAMPLE`, password: PASSWORD },
    });

    // Assess
    expect(response.statusCode).toBe(200);
  });

  it.each([
    ['a wrong password', () => ({ username, password: 'Wrong1234' })],
    ['an unknown username', () => ({ username: uniqueName('ghost'), password: PASSWORD })],
    ['an unknown email', () => ({ username: `${uniqueName('ghost')}@idrl.example`, password: PASSWORD })],
  ])('answers the same 401 for %s', async (_case, body) => {
    // Act
    const response = await invoke(login, { method: 'POST', route: '/api/auth/login', body: body() });

    // Assess
    expect(response).toEqual({
      statusCode: 401,
      headers: securityHeaders,
      body: { message: 'Invalid username or password' },
    });
  });

  it('answers 400 for a login without password', async () => {
    // Act
    const response = await invoke(
      login,
      { method: 'POST', route: '/api/auth/login', body: { username } },
      INVALID_REQUEST,
    );

    // Assess
    expect(response).toEqual({
      statusCode: 400,
      headers: securityHeaders,
      body: {
        message: 'Invalid request',
        errors: [{ field: 'password', message: 'Invalid input: expected string, received undefined' }],
      },
    });
  });

  it('answers 400 with a field error on each field of an empty login form', async () => {
    // Act
    const response = await invoke(
      login,
      { method: 'POST', route: '/api/auth/login', body: { username: '', password: '' } },
      INVALID_REQUEST,
    );

    // Assess
    expect(response).toEqual({
      statusCode: 400,
      headers: securityHeaders,
      body: {
        message: 'Invalid request',
        errors: [
          { field: 'username', message: 'Enter your username or email' },
          { field: 'password', message: 'Enter your password' },
        ],
      },
    });
  });

  it('exchanges a refresh token for a new access token the authorizer accepts', async () => {
    // Prepare
    const tokens = (
      await invoke(login, {
        method: 'POST',
        route: '/api/auth/login',
        body: { username, password: PASSWORD },
      })
    ).body as { refresh_token: string };

    // Act
    const response = await invoke(refresh, {
      method: 'POST',
      route: '/api/auth/refresh',
      body: { refresh_token: tokens.refresh_token },
    });

    // Assess
    expect(response).toEqual({
      statusCode: 200,
      headers: securityHeaders,
      body: {
        access_token: anyString,
        refresh_token: anyString,
        token_type: 'Bearer',
        expires_in: anyNumber,
      },
    });
    const { access_token: accessToken } = response.body as { access_token: string };
    expect(await authorize(accessToken)).toMatchObject({ isAuthorized: true, context: { username } });
  });

  it('answers 401 for a garbage refresh token', async () => {
    // Act
    const response = await invoke(refresh, {
      method: 'POST',
      route: '/api/auth/refresh',
      body: { refresh_token: 'not-a-token' },
    });

    // Assess
    expect(response).toEqual({
      statusCode: 401,
      headers: securityHeaders,
      body: { message: 'Invalid or expired refresh token' },
    });
  });
});

describe('authorizer', () => {
  let claims: Record<string, unknown>;

  beforeAll(async () => {
    const username = uniqueName('auth');
    await signUp(username);
    const tokens = (
      await invoke(login, {
        method: 'POST',
        route: '/api/auth/login',
        body: { username, password: PASSWORD },
      })
    ).body as { access_token: string };
    claims = decodeJwtPayload(tokens.access_token);
  });

  const now = () => Math.floor(Date.now() / 1000);

  it('accepts a token signed by the issuer key with valid claims', async () => {
    // Act
    const decision = await authorize(signJwt(claims, cognitoLocalKey));

    // Assess
    expect(decision).toEqual({
      isAuthorized: true,
      context: { sub: claims.sub, username: claims.username, admin: false },
    });
  });

  it('makes an admin only of a token that claims the admins group and whose user is in it now', async () => {
    // Prepare: a member of the group, whose token from before the grant does not claim it yet.
    const username = String(claims.username);
    await cognitoClient().send(
      new AdminAddUserToGroupCommand({
        UserPoolId: process.env.USER_POOL_ID,
        Username: username,
        GroupName: LEAGUE_ADMINS_GROUP,
      }),
    );
    const claiming = signJwt({ ...claims, 'cognito:groups': [LEAGUE_ADMINS_GROUP] }, cognitoLocalKey);

    // Act / Assess: the old token is no admin's; a claiming one is, while the membership lasts.
    expect(await authorize(signJwt(claims, cognitoLocalKey))).toMatchObject({ context: { admin: false } });
    expect(await authorize(claiming)).toMatchObject({ context: { username, admin: true } });
    await cognitoClient().send(
      new AdminRemoveUserFromGroupCommand({
        UserPoolId: process.env.USER_POOL_ID,
        Username: username,
        GroupName: LEAGUE_ADMINS_GROUP,
      }),
    );
    expect(await authorize(claiming)).toMatchObject({ context: { username, admin: false } });
  });

  it.each([
    ['no token', () => undefined],
    ['a garbage token', () => 'garbage'],
    [
      'a tampered payload',
      () => {
        const [header, , signature] = signJwt(claims, cognitoLocalKey).split('.');
        return `${header}.${Buffer.from(JSON.stringify({ ...claims, username: 'admin' })).toString('base64url')}.${signature}`;
      },
    ],
    ['an expired token', () => signJwt({ ...claims, iat: now() - 7200, exp: now() - 3600 }, cognitoLocalKey)],
    ['an unsigned alg:none token', () => unsignedJwt(claims)],
    [
      'a foreign issuer',
      () =>
        signJwt(
          { ...claims, iss: 'https://cognito-idp.us-east-1.amazonaws.com/us-east-1_evil' },
          cognitoLocalKey,
        ),
    ],
    ['a foreign signing key', () => signJwt(claims, foreignKey())],
    ['an id token', () => signJwt({ ...claims, token_use: 'id' }, cognitoLocalKey)],
    ['another app client', () => signJwt({ ...claims, client_id: 'someone-else' }, cognitoLocalKey)],
  ])('gives %s no identity, so the task routes answer 401 without saying why', async (_case, token) => {
    // Act
    const decision = await authorize(token());
    const event = apiEvent({ method: 'GET', route: '/api/tasks' });
    event.requestContext.authorizer = { lambda: decision.context };
    const response = await invoke(listTasks, event);

    // Assess
    expect(decision).toEqual({ isAuthorized: true, context: {} });
    expect(response).toEqual({
      statusCode: 401,
      headers: securityHeaders,
      body: { message: 'Unauthorized' },
    });
  });
});
