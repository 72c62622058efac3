/**
 * The gateway's AWS surfaces (Lambda Invoke, SQS) with IAM enforcement on: the real SDK clients of a function
 * get their answer when the role allows the call, and the service's AccessDenied otherwise.
 */
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { SQSClient, SendMessageBatchCommand } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Gateway, startGateway } from '#infra/local/gateway';
import { type LocalPrincipal, createIamEnforcer } from '#infra/local/iam/enforcer';
import type { InvocableHandler } from '#infra/local/lambda-api';
import { LOCAL_ACCOUNT_ID as ACCOUNT } from '#infra/local/lambda-context';
import { freePort } from '#infra/local/services/preflight';
import { forgedSigV4Headers, testPrincipal } from '#test/helpers/iam';

const QUEUE_ARN = `arn:aws:sqs:us-east-1:${ACCOUNT}:idrl-uploads`;

// The template's statements of the sweeper's scheduled function.
const runSweep = testPrincipal('run-sweep', [
  {
    Effect: 'Allow',
    Action: 'lambda:InvokeFunction',
    Resource: `arn:aws:lambda:us-east-1:${ACCOUNT}:function:sweep-tasks`,
  },
  { Effect: 'Allow', Action: 'sqs:SendMessage', Resource: QUEUE_ARN },
]);
// The health check's role: no policy at all.
const health: LocalPrincipal = { ...testPrincipal('health', []), policies: {} };

const logged: string[] = [];
const sent: string[] = [];
const ran: string[] = [];
let gateway: Gateway;

function clients(caller: LocalPrincipal) {
  const config = {
    region: 'us-east-1',
    endpoint: gateway.url,
    credentials: { accessKeyId: caller.accessKeyId, secretAccessKey: caller.secretAccessKey },
    maxAttempts: 1,
  };
  return { lambda: new LambdaClient(config), sqs: new SQSClient(config) };
}

beforeAll(async () => {
  gateway = await startGateway({
    port: await freePort(),
    region: 'us-east-1',
    routes: [],
    authorizer: () => Promise.resolve({ isAuthorized: false }),
    corsOrigins: [],
    functionTimeoutSeconds: 5,
    functions: new Map<string, InvocableHandler>([
      [
        'sweep-tasks',
        () => {
          ran.push('sweep-tasks');
          return Promise.resolve({ swept: 2 });
        },
      ],
      ['purge-account', () => Promise.resolve({ purged: true })],
    ]),
    awsApi: (target, body) => {
      sent.push(body.toString('utf8'));
      return Promise.resolve(
        target === 'AmazonSQS.SendMessageBatch'
          ? { statusCode: 200, body: { Successful: [], Failed: [] } }
          : undefined,
      );
    },
    iam: createIamEnforcer({
      location: { region: 'us-east-1', accountId: ACCOUNT },
      principals: [runSweep, health],
      log: (line) => logged.push(line),
    }),
    onError: (error) => {
      throw error;
    },
  });
});

afterAll(async () => {
  await gateway.stop();
});

describe('the gateway with IAM enforcement', () => {
  it('answers an Invoke the role allows and refuses one it does not (AccessDeniedException, 403)', async () => {
    const { lambda } = clients(runSweep);
    const allowed = await lambda.send(
      new InvokeCommand({ FunctionName: 'sweep-tasks', Payload: Buffer.from('{}') }),
    );
    expect(JSON.parse(Buffer.from(allowed.Payload ?? []).toString())).toEqual({ swept: 2 });
    const error = await lambda.send(new InvokeCommand({ FunctionName: 'purge-account' })).then(
      () => undefined,
      (reason: unknown) => reason as Error & { $metadata: { httpStatusCode?: number } },
    );
    expect(error?.name).toBe('AccessDeniedException');
    expect(error?.$metadata.httpStatusCode).toBe(403);
    expect(logged.at(-1)).toContain('run-sweep');
    expect(logged.at(-1)).toContain(
      `lambda:InvokeFunction on arn:aws:lambda:us-east-1:${ACCOUNT}:function:purge-account`,
    );
  });

  it('sends to the queue only for a role that may (AccessDenied, 403, nothing sent)', async () => {
    const batch = new SendMessageBatchCommand({
      QueueUrl: `${gateway.url}/${ACCOUNT}/idrl-uploads`,
      Entries: [{ Id: '1', MessageBody: 'requeue' }],
    });
    sent.length = 0;
    await clients(runSweep).sqs.send(batch);
    expect(sent).toHaveLength(1);
    const error = await clients(health)
      .sqs.send(batch)
      .then(
        () => undefined,
        (reason: unknown) => reason as Error & { $metadata: { httpStatusCode?: number } },
      );
    expect(error?.name).toBe('AccessDenied');
    expect(error?.$metadata.httpStatusCode).toBe(403);
    expect(sent).toHaveLength(1);
  });
});

/** POSTs with a forged signature of `accessKeyId` (forgedSigV4Headers); the status and error type answered. */
async function forged(
  path: string,
  init: { service: 'lambda' | 'sqs'; accessKeyId: string; headers?: Record<string, string>; body: string },
): Promise<{ status: number; type: string | null }> {
  const response = await fetch(`${gateway.url}${path}`, {
    method: 'POST',
    headers: { ...forgedSigV4Headers(init.accessKeyId, init.service), ...init.headers },
    body: init.body,
  });
  return { status: response.status, type: response.headers.get('x-amzn-errortype') };
}

describe('a forged signature (all zeros) for a key the stack knows', () => {
  it('is refused by the Invoke and SQS surfaces, and nothing runs or is sent', async () => {
    sent.length = 0;
    ran.length = 0;
    const invoked = await forged('/2015-03-31/functions/sweep-tasks/invocations', {
      service: 'lambda',
      accessKeyId: runSweep.accessKeyId,
      body: '{}',
    });
    const queued = await forged('/', {
      service: 'sqs',
      accessKeyId: runSweep.accessKeyId,
      headers: { 'x-amz-target': 'AmazonSQS.SendMessageBatch', 'content-type': 'application/x-amz-json-1.0' },
      body: JSON.stringify({
        QueueUrl: `${gateway.url}/${ACCOUNT}/idrl-uploads`,
        Entries: [{ Id: '1', MessageBody: 'forged' }],
      }),
    });

    expect(invoked).toEqual({ status: 403, type: 'InvalidSignatureException' });
    expect(queued).toEqual({ status: 403, type: 'SignatureDoesNotMatch' });
    expect(sent).toEqual([]);
    expect(ran).toEqual([]);
  });
});
