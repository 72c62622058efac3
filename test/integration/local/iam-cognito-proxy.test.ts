/**
 * The Cognito enforcement point in front of the real cognito-local of the integration services: an admin call
 * the role allows reaches the pool, one it does not is refused as Cognito refuses it, and a public sign-in
 * passes unsigned.
 */
import {
  AdminCreateUserCommand,
  AdminDeleteUserCommand,
  AdminGetUserCommand,
  CognitoIdentityProviderClient,
  CognitoIdentityProviderServiceException,
  InitiateAuthCommand,
} from '@aws-sdk/client-cognito-identity-provider';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalPrincipal } from '#infra/local/iam/enforcer';
import type { Endpoint } from '#infra/local/iam/endpoint';
import { LOCAL_ACCOUNT_ID as ACCOUNT } from '#infra/local/lambda-context';
import { cognitoEnforcementProxy, testPrincipal } from '#test/helpers/iam';

const REGION = process.env.AWS_REGION ?? 'us-east-1';
const POOL_ID = process.env.USER_POOL_ID ?? '';
const POOL_ARN = `arn:aws:cognito-idp:${REGION}:${ACCOUNT}:userpool/${POOL_ID}`;

// The template's sign-up and delete-account statements: these actions on this pool only.
const onPool = (actions: string[]) => [{ Effect: 'Allow' as const, Action: actions, Resource: POOL_ARN }];
const signup = testPrincipal(
  'signup',
  onPool(['cognito-idp:AdminCreateUser', 'cognito-idp:AdminSetUserPassword', 'cognito-idp:AdminDeleteUser']),
);
const deleteAccount = testPrincipal(
  'deleteaccount',
  onPool(['cognito-idp:AdminGetUser', 'cognito-idp:AdminDeleteUser']),
);
const logged: string[] = [];
let proxy: Endpoint;

function clientOf(caller: LocalPrincipal): CognitoIdentityProviderClient {
  return new CognitoIdentityProviderClient({
    region: REGION,
    endpoint: proxy.url,
    credentials: { accessKeyId: caller.accessKeyId, secretAccessKey: caller.secretAccessKey },
    maxAttempts: 1,
  });
}

beforeAll(async () => {
  proxy = await cognitoEnforcementProxy([signup, deleteAccount], (line) => logged.push(line));
});

afterAll(async () => {
  await proxy.stop();
});

describe('Cognito through the IAM enforcement proxy', () => {
  it('lets the allowed admin calls reach the pool and refuses the others as Cognito does', async () => {
    const username = `iam-proxy-${process.pid}`;
    await clientOf(signup).send(
      new AdminCreateUserCommand({ UserPoolId: POOL_ID, Username: username, MessageAction: 'SUPPRESS' }),
    );
    const found = await clientOf(deleteAccount).send(
      new AdminGetUserCommand({ UserPoolId: POOL_ID, Username: username }),
    );
    expect(found.Username).toBe(username);

    const error = await clientOf(signup)
      .send(new AdminGetUserCommand({ UserPoolId: POOL_ID, Username: username }))
      .then(
        () => undefined,
        (reason: unknown) => reason,
      );
    expect(error).toBeInstanceOf(CognitoIdentityProviderServiceException);
    const denied = error as CognitoIdentityProviderServiceException;
    expect(denied.name).toBe('AccessDeniedException');
    expect(denied.$metadata.httpStatusCode).toBe(400);
    expect(denied.message).toBe(
      `User: arn:aws:sts::${ACCOUNT}:assumed-role/signup-role/signup is not authorized to perform: cognito-idp:AdminGetUser on resource: ${POOL_ARN} because no identity-based policy allows the cognito-idp:AdminGetUser action`,
    );
    expect(logged.at(-1)).toContain('signup (arn:aws:iam::000000000000:role/signup-role) AdminGetUser');

    await clientOf(deleteAccount).send(
      new AdminDeleteUserCommand({ UserPoolId: POOL_ID, Username: username }),
    );
  });

  it("passes an unsigned public sign-in through to the pool (Cognito's own answer)", async () => {
    const anonymous = new CognitoIdentityProviderClient({
      region: REGION,
      endpoint: proxy.url,
      // Never used: the SDK sends InitiateAuth unsigned (its model gives the operation no auth).
      credentials: { accessKeyId: 'unused', secretAccessKey: 'unused' },
      maxAttempts: 1,
    });
    const error = await anonymous
      .send(
        new InitiateAuthCommand({
          ClientId: 'no-such-client',
          AuthFlow: 'USER_PASSWORD_AUTH',
          AuthParameters: { USERNAME: 'nobody', PASSWORD: 'x' },
        }),
      )
      .then(
        () => undefined,
        (reason: unknown) => reason,
      );
    expect(error).toBeInstanceOf(CognitoIdentityProviderServiceException);
    // cognito-local's own answer for an unknown app client: the call reached the pool.
    expect((error as Error).name).toBe('ResourceNotFoundException');
  });
});
