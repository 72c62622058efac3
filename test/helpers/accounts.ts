/** Pilots as the integration tests make them: signed up and logged in through the API's own handlers. */
import { randomUUID } from 'node:crypto';
import { expect } from 'vitest';
import { handler as login } from '#functions/api/login';
import { handler as signup } from '#functions/api/signup';
import type { Caller } from '#core/task';
import { invoke } from '#test/helpers/api-gateway';
import { decodeJwtPayload } from '#test/helpers/tokens';

export const TEST_PASSWORD = 'Secret123';

/** A new pilot `<prefix>_<random>`: the caller as the authorizer would pass it on, and the login's refresh token. */
export async function signedUpPilot(prefix: string): Promise<{ caller: Caller; refreshToken: string }> {
  const username = `${prefix}_${randomUUID().slice(0, 8)}`;
  const created = await invoke(signup, {
    method: 'POST',
    route: '/api/auth/signup',
    body: { username, email: `${username}@idrl.example`, password1: TEST_PASSWORD, password2: TEST_PASSWORD },
  });
  expect(created.statusCode).toBe(201);
  const tokens = await invoke(login, {
    method: 'POST',
    route: '/api/auth/login',
    body: { username, password: TEST_PASSWORD },
  });
  const body = tokens.body as { access_token: string; refresh_token: string };
  return {
    caller: { sub: String(decodeJwtPayload(body.access_token).sub), username },
    refreshToken: body.refresh_token,
  };
}
