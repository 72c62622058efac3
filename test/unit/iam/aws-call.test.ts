/**
 * The enforcement of the JSON-protocol calls (SQS, Lambda Invoke, Cognito) and of the RDS auth token, with the
 * real SDK clients: their request handler hands each signed request to `authorizeAwsCall` and returns its
 * answer (or a plain 200 for an allowed call), so what is asserted is what the SDK surfaces to a handler.
 */
import { Readable } from 'node:stream';
import {
  AdminDeleteUserCommand,
  AdminGetUserCommand,
  CognitoIdentityProviderClient,
  InitiateAuthCommand,
} from '@aws-sdk/client-cognito-identity-provider';
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { SQSClient, SendMessageBatchCommand } from '@aws-sdk/client-sqs';
import { Signer } from '@aws-sdk/rds-signer';
import { beforeEach, describe, expect, it } from 'vitest';
import { type AwsCallDecision, authorizeAwsCall } from '#infra/local/iam/aws-call';
import { type LocalPrincipal, createIamEnforcer } from '#infra/local/iam/enforcer';
import { verifyRdsAuthToken } from '#infra/local/iam/rds-token';

const ACCOUNT = '000000000000';
const QUEUE_ARN = `arn:aws:sqs:us-east-1:${ACCOUNT}:idrl-uploads`;
const POOL_ID = 'us-east-1_pool';

function principal(name: string, statements: object[]): LocalPrincipal {
  return {
    accessKeyId: `AKID${name.toUpperCase().replace(/-/g, '')}`,
    secretAccessKey: `${name}-secret`,
    roleArn: `arn:aws:iam::${ACCOUNT}:role/${name}-role`,
    functionName: name,
    policies: { DefaultPolicy: { Version: '2012-10-17', Statement: statements as never } },
    inVpc: false,
  };
}

// The template's statements for these functions (default configuration).
const runSweep = principal('run-sweep', [
  {
    Effect: 'Allow',
    Action: 'lambda:InvokeFunction',
    Resource: `arn:aws:lambda:us-east-1:${ACCOUNT}:function:sweep-tasks`,
  },
  { Effect: 'Allow', Action: 'sqs:SendMessage', Resource: QUEUE_ARN },
]);
const signup = principal('signup', [
  {
    Effect: 'Allow',
    Action: [
      'cognito-idp:AdminCreateUser',
      'cognito-idp:AdminSetUserPassword',
      'cognito-idp:AdminDeleteUser',
    ],
    Resource: `arn:aws:cognito-idp:us-east-1:${ACCOUNT}:userpool/${POOL_ID}`,
  },
]);
const worker = principal('process-upload', [
  {
    Effect: 'Allow',
    Action: 'rds-db:connect',
    Resource: `arn:aws:rds-db:us-east-1:${ACCOUNT}:dbuser:db-LOCAL/idrl_app`,
  },
]);

const logged: string[] = [];
const iam = createIamEnforcer({
  location: { region: 'us-east-1', accountId: ACCOUNT },
  principals: [runSweep, signup, worker],
  resourcePolicies: {
    [QUEUE_ARN]: {
      Statement: [
        {
          Effect: 'Deny',
          Principal: { AWS: '*' },
          Action: 'sqs:*',
          Resource: QUEUE_ARN,
          Condition: { Bool: { 'aws:SecureTransport': 'false' } },
        },
      ],
    },
  },
  log: (line) => logged.push(line),
});

interface Sent {
  method: string;
  path: string;
  query: Record<string, string | null | undefined>;
  headers: Record<string, string>;
  body?: unknown;
}

const decisions: AwsCallDecision[] = [];

/** A client option: the signed request goes through the enforcement, and its answer back to the SDK. */
function enforced(caller: LocalPrincipal, secure = true) {
  return {
    region: 'us-east-1',
    endpoint: 'http://127.0.0.1:3000',
    credentials: { accessKeyId: caller.accessKeyId, secretAccessKey: caller.secretAccessKey },
    maxAttempts: 1,
    requestHandler: {
      async handle(request: Sent) {
        const query = Object.entries(request.query)
          .map(([name, value]) => `${encodeURIComponent(name)}=${encodeURIComponent(value ?? '')}`)
          .join('&');
        const body =
          request.body === undefined ? Buffer.alloc(0) : Buffer.from(request.body as Uint8Array | string);
        const decision = await authorizeAwsCall(iam, {
          method: request.method,
          url: query === '' ? request.path : `${request.path}?${query}`,
          headers: Object.fromEntries(
            Object.entries(request.headers).map(([name, value]) => [name.toLowerCase(), value]),
          ),
          body,
          secure,
        });
        decisions.push(decision);
        const answer = decision.allowed
          ? { statusCode: 200, headers: { 'content-type': 'application/json' }, body: Buffer.from('{}') }
          : decision.answer;
        return {
          response: {
            statusCode: answer.statusCode,
            headers: answer.headers,
            body: Readable.from([answer.body]),
          },
        };
      },
    },
  };
}

async function rejection(
  promise: Promise<unknown>,
): Promise<{ name: string; message: string; $metadata: { httpStatusCode?: number } }> {
  const error = await promise.then(
    () => undefined,
    (reason: unknown) => reason,
  );
  if (!(error instanceof Error)) throw new Error('expected the SDK to throw');
  return error as Error & { $metadata: { httpStatusCode?: number } };
}

beforeEach(() => {
  logged.length = 0;
  decisions.length = 0;
});

describe('SQS calls (the gateway surface)', () => {
  const batch = new SendMessageBatchCommand({
    QueueUrl: `http://localhost:3000/${ACCOUNT}/idrl-uploads`,
    Entries: [{ Id: '1', MessageBody: '{}' }],
  });

  it('allows a send the role allows and says who sent it', async () => {
    await new SQSClient(enforced(runSweep)).send(batch);
    expect(decisions).toEqual([{ allowed: true, operation: 'SendMessageBatch', principal: runSweep }]);
  });

  it('the SDK surfaces a denial as AccessDenied, 403, with AWS message; one log line names the miss', async () => {
    const error = await rejection(new SQSClient(enforced(signup)).send(batch));
    expect(error.name).toBe('AccessDenied');
    expect(error.$metadata.httpStatusCode).toBe(403);
    expect(error.message).toBe(
      `User: arn:aws:sts::${ACCOUNT}:assumed-role/signup-role/signup is not authorized to perform: sqs:SendMessage on resource: ${QUEUE_ARN} because no identity-based policy allows the sqs:SendMessage action`,
    );
    expect(logged).toEqual([
      `[iam] AccessDenied signup (arn:aws:iam::${ACCOUNT}:role/signup-role) SendMessageBatch: sqs:SendMessage on ${QUEUE_ARN} — implicit-deny, no statement allows it in signup-role/DefaultPolicy, resource policy of ${QUEUE_ARN}`,
    ]);
  });

  it("the queue policy's TLS-only deny applies to a plain-HTTP call", async () => {
    const error = await rejection(new SQSClient(enforced(runSweep, false)).send(batch));
    expect(error.message).toMatch(/with an explicit deny in a resource-based policy$/);
  });

  it('an unknown key and a wrong secret are refused as SQS refuses them', async () => {
    const stranger = { ...runSweep, accessKeyId: 'AKIDSTRANGER' };
    expect((await rejection(new SQSClient(enforced(stranger)).send(batch))).name).toBe(
      'InvalidClientTokenId',
    );
    const forged = { ...runSweep, secretAccessKey: 'guessed' };
    expect((await rejection(new SQSClient(enforced(forged)).send(batch))).name).toBe('SignatureDoesNotMatch');
  });
});

describe('Lambda Invoke (the gateway surface)', () => {
  it('allows the invoke of the function the role names and denies another', async () => {
    const lambda = new LambdaClient(enforced(runSweep));
    await lambda.send(new InvokeCommand({ FunctionName: 'sweep-tasks', Payload: Buffer.from('{}') }));
    expect(decisions[0]).toMatchObject({ allowed: true, operation: 'Invoke' });
    const error = await rejection(lambda.send(new InvokeCommand({ FunctionName: 'purge-account' })));
    expect(error.name).toBe('AccessDeniedException');
    expect(error.$metadata.httpStatusCode).toBe(403);
    expect(error.message).toMatch(
      /^User: arn:aws:sts::000000000000:assumed-role\/run-sweep-role\/run-sweep is not authorized to perform: lambda:InvokeFunction on resource: arn:aws:lambda:us-east-1:000000000000:function:purge-account because/,
    );
  });
});

describe('Cognito (the proxy in front of cognito-local)', () => {
  it('admin calls need the role; the public sign-in passes unsigned as on AWS', async () => {
    const cognito = new CognitoIdentityProviderClient(enforced(signup));
    await cognito.send(new AdminDeleteUserCommand({ UserPoolId: POOL_ID, Username: 'pilot' }));
    expect(decisions[0]).toMatchObject({ allowed: true });
    const error = await rejection(
      cognito.send(new AdminGetUserCommand({ UserPoolId: POOL_ID, Username: 'pilot' })),
    );
    expect(error.name).toBe('AccessDeniedException');
    expect(error.message).toContain('cognito-idp:AdminGetUser');
    const publicCall = await authorizeAwsCall(iam, {
      method: 'POST',
      url: '/',
      headers: { 'x-amz-target': 'AWSCognitoIdentityProviderService.InitiateAuth' },
      body: Buffer.from(JSON.stringify({ ClientId: 'c', AuthFlow: 'USER_PASSWORD_AUTH' })),
      secure: true,
    });
    expect(publicCall).toEqual({ allowed: true, operation: 'InitiateAuth' });
    // Signed by a role without Cognito permissions, InitiateAuth is still not IAM-authorized.
    await new CognitoIdentityProviderClient(enforced(runSweep)).send(
      new InitiateAuthCommand({
        ClientId: 'c',
        AuthFlow: 'USER_PASSWORD_AUTH',
        AuthParameters: { USERNAME: 'p' },
      }),
    );
  });

  it('an unsigned admin call is refused', async () => {
    const decision = await authorizeAwsCall(iam, {
      method: 'POST',
      url: '/',
      headers: { 'x-amz-target': 'AWSCognitoIdentityProviderService.AdminDeleteUser' },
      body: Buffer.from(JSON.stringify({ UserPoolId: POOL_ID, Username: 'pilot' })),
      secure: true,
    });
    expect(decision).toMatchObject({ allowed: false, answer: { statusCode: 403 } });
  });
});

describe('rds-db:connect with the RDS auth token', () => {
  const database = { hostname: 'localhost', port: 5433, resourceId: 'db-LOCAL' };
  const token = (caller: LocalPrincipal, user = 'idrl_app') =>
    new Signer({
      hostname: 'localhost',
      port: 5433,
      username: user,
      region: 'us-east-1',
      credentials: { accessKeyId: caller.accessKeyId, secretAccessKey: caller.secretAccessKey },
    }).getAuthToken();

  it("accepts the signer's token of a role allowed to connect as that user", async () => {
    expect(await verifyRdsAuthToken(iam, await token(worker), 'idrl_app', database)).toEqual({
      ok: true,
      principal: worker,
    });
  });

  it('refuses a role without rds-db:connect, a token for another user and a forged token', async () => {
    expect(await verifyRdsAuthToken(iam, await token(signup), 'idrl_app', database)).toMatchObject({
      ok: false,
      reason: expect.stringContaining('rds-db:connect') as unknown,
    });
    expect(logged[0]).toContain('signup');
    expect(
      await verifyRdsAuthToken(iam, await token(worker, 'postgres'), 'idrl_app', database),
    ).toMatchObject({ ok: false });
    expect(
      await verifyRdsAuthToken(iam, await token(worker, 'postgres'), 'postgres', database),
    ).toMatchObject({
      ok: false,
      reason: expect.stringContaining('dbuser:db-LOCAL/postgres') as unknown,
    });
    const forged = (await token(worker)).replace(
      /X-Amz-Signature=[0-9a-f]+/,
      `X-Amz-Signature=${'0'.repeat(64)}`,
    );
    expect(await verifyRdsAuthToken(iam, forged, 'idrl_app', database)).toMatchObject({ ok: false });
  });
});
