/**
 * The local stack's answers to the AWS calls of the functions outside the VPC, on a gateway of its own, for
 * tests that run those functions as Lambda would: SQS (the upload queue's sends and the redrive command's
 * calls on its DLQ, infra/local/sqs-endpoint.ts) and Lambda Invoke of the in-VPC functions given
 * (infra/local/lambda-api.ts). Points the functions' and the SDK's environment at it.
 */
import { randomUUID } from 'node:crypto';
import { type Gateway, startGateway } from '#infra/local/gateway';
import { LOCAL_ACCOUNT_ID } from '#infra/local/lambda-context';
import type { InvocableHandler } from '#infra/local/lambda-api';
import type { SqsQueue } from '#infra/local/queue';
import { freePort } from '#infra/local/services/preflight';
import { sqsApi } from '#infra/local/sqs-endpoint';
import { signatureOnlyIam } from './iam';

const ENVIRONMENT = ['AWS_ENDPOINT_URL_SQS', 'LAMBDA_ENDPOINT', 'UPLOAD_QUEUE_URL'] as const;

export interface AwsEndpoint {
  gateway: Gateway;
  /** What the gateway answered 500 for (a failing queue, a function that threw outside its handler). */
  errors: unknown[];
  /** Stops the gateway and restores the environment it changed. */
  stop(): Promise<void>;
}

export async function startAwsEndpoint(options: {
  queue: Pick<SqsQueue, 'arn' | 'send' | 'deadLetters'>;
  region: string;
  /** The invocable functions by name (LOCAL_INVOKED_FUNCTIONS). @default none */
  functions?: ReadonlyMap<string, InvocableHandler>;
}): Promise<AwsEndpoint> {
  const previous = Object.fromEntries(ENVIRONMENT.map((name) => [name, process.env[name]]));
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  // Before the gateway starts, so functions imported from now on read it at module scope, as on Lambda.
  Object.assign(process.env, {
    AWS_ENDPOINT_URL_SQS: url,
    LAMBDA_ENDPOINT: url,
    UPLOAD_QUEUE_URL: `${url}/${LOCAL_ACCOUNT_ID}/${options.queue.arn.split(':').at(-1) ?? ''}`,
  });
  const errors: unknown[] = [];
  const gateway = await startGateway({
    port,
    region: options.region,
    routes: [],
    authorizer: () => Promise.resolve({ isAuthorized: false }),
    functions: options.functions,
    corsOrigins: [],
    functionTimeoutSeconds: 60,
    awsApi: sqsApi({ queues: [options.queue], deadLetters: options.queue.deadLetters, endpoint: () => url }),
    iam: signatureOnlyIam(),
    onError: (error) => {
      errors.push(error);
    },
  });
  return {
    gateway,
    errors,
    stop: async () => {
      await gateway.stop();
      // Back to what it was: unset again where it was unset.
      process.env = Object.fromEntries(
        Object.entries({ ...process.env, ...previous }).filter(([, value]) => value !== undefined),
      );
    },
  };
}

/** A queue that keeps what is sent to it, for tests that look at the messages rather than process them. */
export interface RecordingQueue extends Pick<SqsQueue, 'arn' | 'send' | 'deadLetters'> {
  bodies: string[];
  /** While set, every send fails, as SQS refusing or unreachable. */
  failing: boolean;
}

export function recordingQueue(name: string, region: string): RecordingQueue {
  const queue: RecordingQueue = {
    arn: `arn:aws:sqs:${region}:${LOCAL_ACCOUNT_ID}:${name}`,
    bodies: [],
    failing: false,
    send: (body) => {
      if (queue.failing) return Promise.reject(new Error('Injected queue failure'));
      queue.bodies.push(body);
      return Promise.resolve(randomUUID());
    },
    deadLetters: {
      arn: `arn:aws:sqs:${region}:${LOCAL_ACCOUNT_ID}:${name}-dlq`,
      count: () => Promise.resolve(0),
      peek: () => Promise.resolve([]),
      redrive: () => Promise.resolve(0),
    },
  };
  return queue;
}
