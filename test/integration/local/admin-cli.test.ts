/**
 * `npm run admin` against the local world: the integration services' cognito-local behind the local stack's Cognito
 * enforcement point, with the operator principal the stack gives the runbook (infra/local/principals.ts), so the
 * command works with exactly the actions it is given. Its effect is read where pilots meet it: the authorizer's
 * decision on a fresh login's token, /api/auth/me and an admin route.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import {
  AdminDeleteUserCommand,
  CognitoIdentityProviderClient,
} from '@aws-sdk/client-cognito-identity-provider';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { handler as auditLog } from '#functions/api/audit-log';
import { handler as login } from '#functions/api/login';
import { handler as me } from '#functions/api/me';
import type { ApiHandler } from '#commons/http';
import { runAdmin } from '#infra/bin/admin';
import type { Endpoint } from '#infra/local/iam/endpoint';
import { LOCAL_ACCOUNT_ID as ACCOUNT } from '#infra/local/lambda-context';
import { operatorPrincipal } from '#infra/local/principals';
import { signedUpPilot, TEST_PASSWORD } from '#test/helpers/accounts';
import { apiEvent, invoke } from '#test/helpers/api-gateway';
import { authorize } from '#test/helpers/authorizer';
import { cognitoEnforcementProxy } from '#test/helpers/iam';

const REGION = process.env.AWS_REGION ?? 'us-east-1';
const POOL_ID = process.env.USER_POOL_ID ?? '';
const operator = operatorPrincipal(ACCOUNT, {
  queueArns: [],
  userPoolArn: `arn:aws:cognito-idp:${REGION}:${ACCOUNT}:userpool/${POOL_ID}`,
});
let proxy: Endpoint;

/** The environment of the banner's line (infra/local/main.ts). */
const operatorEnv = () => ({
  AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER: proxy.url,
  AWS_REGION: REGION,
  AWS_ACCESS_KEY_ID: operator.accessKeyId,
  AWS_SECRET_ACCESS_KEY: operator.secretAccessKey,
  USER_POOL_ID: POOL_ID,
});

/** The CLI's main with clients configured as the banner's environment configures the SDK. */
async function admin(args: string[], secretAccessKey = operator.secretAccessKey) {
  const out: string[] = [];
  const err: string[] = [];
  const credentials = { accessKeyId: operator.accessKeyId, secretAccessKey };
  const code = await runAdmin(
    args,
    operatorEnv(),
    { out: (line) => out.push(line), err: (line) => err.push(line) },
    {
      cognito: new CognitoIdentityProviderClient({ region: REGION, endpoint: proxy.url, credentials }),
      // Not called: USER_POOL_ID is set, as the banner sets it (the local stack has no CloudFormation).
      cloudFormation: new CloudFormationClient({ region: REGION, credentials }),
    },
  );
  return { code, out, err };
}

async function accessToken(username: string): Promise<string> {
  const response = await invoke(login, {
    method: 'POST',
    route: '/api/auth/login',
    body: { username, password: TEST_PASSWORD },
  });
  expect(response.statusCode).toBe(200);
  return (response.body as { access_token: string }).access_token;
}

/** A route behind the gateway: the authorizer's decision on the token, then the function with its context. */
async function call(handler: ApiHandler, route: string, token: string) {
  const decision = await authorize(token);
  const event = apiEvent({ method: 'GET', route });
  event.requestContext.authorizer = { lambda: decision.context };
  const response = await invoke(handler, event);
  return { admin: decision.context.admin, statusCode: response.statusCode, body: response.body };
}

beforeAll(async () => {
  proxy = await cognitoEnforcementProxy([operator]);
});

afterAll(async () => {
  await proxy.stop();
});

describe('npm run admin against the local stack', () => {
  it('grants, lists and revokes: admin at the next sign-in, refused again after the revoke', async () => {
    // Prepare: a pilot signed in before the grant.
    const { caller } = await signedUpPilot('admincli');
    const before = await accessToken(caller.username);

    // Act: the real command, with the username in other letters' case.
    const granted = await promisify(execFile)(
      'npm',
      ['run', '--silent', 'admin', '--', 'grant', caller.username.toUpperCase()],
      { env: { ...process.env, ...operatorEnv() } },
    );

    // Assess: the pool's spelling; the token from before the grant is no admin's, a fresh login's is.
    expect(granted.stdout).toBe(
      `${caller.username} is now a league admin. It takes effect at their next sign-in or token refresh ` +
        "(the token's cognito:groups claim; the console refreshes within 15 minutes).\n",
    );
    expect(await call(auditLog, '/api/admin/audit', before)).toMatchObject({ admin: false, statusCode: 403 });
    const fresh = await accessToken(caller.username);
    expect(await call(auditLog, '/api/admin/audit', fresh)).toMatchObject({ admin: true, statusCode: 200 });
    expect(await call(me, '/api/auth/me', fresh)).toMatchObject({ statusCode: 200, body: { admin: true } });
    expect((await admin(['list'])).out).toContain(caller.username);
    expect(await admin(['grant', caller.username])).toEqual({
      code: 0,
      out: [`${caller.username} is already a league admin; nothing changed.`],
      err: [],
    });

    // Act
    const revoked = await admin(['revoke', caller.username]);

    // Assess: the same token is refused at once here (the gateway caches the decision ≤ 60 s).
    expect(revoked.code).toBe(0);
    expect(revoked.out).toEqual([
      `${caller.username} is no longer a league admin: the admin routes refuse them within 60 s (the authorizer's cache).`,
    ]);
    expect(await call(auditLog, '/api/admin/audit', fresh)).toMatchObject({ admin: false, statusCode: 403 });
    expect(await call(me, '/api/auth/me', fresh)).toMatchObject({ statusCode: 200, body: { admin: false } });
    expect((await admin(['list'])).out).not.toContain(caller.username);
  });

  it('answers an unknown pilot with a non-zero exit and the message', async () => {
    const result = await admin(['grant', 'nobody_admincli']);
    expect(result).toEqual({
      code: 1,
      out: [],
      err: [`No pilot named "nobody_admincli" in the user pool ${POOL_ID}.`],
    });
  });

  it("refuses credentials of another start, and the operator's keys anything but naming admins", async () => {
    // Act
    const stale = await admin(['list'], 'the secret of an earlier start');
    const { caller } = await signedUpPilot('admincli_keep');
    const denied = await new CognitoIdentityProviderClient({
      region: REGION,
      endpoint: proxy.url,
      credentials: { accessKeyId: operator.accessKeyId, secretAccessKey: operator.secretAccessKey },
    })
      .send(new AdminDeleteUserCommand({ UserPoolId: POOL_ID, Username: caller.username }))
      .then(
        () => 'deleted',
        (error: unknown) => (error as Error).name,
      );

    // Assess
    expect(stale.code).toBe(1);
    expect(stale.err).toEqual([expect.stringContaining('the credentials are not valid here')]);
    expect(denied).toBe('AccessDeniedException');
  });
});
