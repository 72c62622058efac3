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
import { type LocalPrincipal, createIamEnforcer } from '#infra/local/iam/enforcer';
import type { Endpoint } from '#infra/local/iam/endpoint';
import { startJsonServiceProxy } from '#infra/local/iam/json-service-proxy';

const ACCOUNT = '000000000000';
const REGION = process.env.AWS_REGION ?? 'us-east-1';
const POOL_ID = process.env.USER_POOL_ID ?? '';
const POOL_ARN = `arn:aws:cognito-idp:${REGION}:${ACCOUNT}:userpool/${POOL_ID}`;

function principal(name: string, actions: string[]): LocalPrincipal {
  return {
    accessKeyId: `AKID${name.toUpperCase()}`,
    secretAccessKey: `${name}-secret`,
    roleArn: `arn:aws:iam::${ACCOUNT}:role/${name}-role`,
    functionName: name,
    policies: { DefaultPolicy: { Statement: [{ Effect: 'Allow', Action: actions, Resource: POOL_ARN }] } },
    inVpc: false,
  };
}

// The template's sign-up and delete-account statements.
const signup = principal('signup', [
  'cognito-idp:AdminCreateUser',
  'cognito-idp:AdminSetUserPassword',
  'cognito-idp:AdminDeleteUser',
]);
const deleteAccount = principal('deleteaccount', ['cognito-idp:AdminGetUser', 'cognito-idp:AdminDeleteUser']);
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
  const iam = createIamEnforcer({
    location: { region: REGION, accountId: ACCOUNT },
    principals: [signup, deleteAccount],
    log: (line) => logged.push(line),
  });
  proxy = await startJsonServiceProxy({
    iam,
    upstream: process.env.COGNITO_ENDPOINT ?? '',
    port: 0,
    secureTransport: true,
  });
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
