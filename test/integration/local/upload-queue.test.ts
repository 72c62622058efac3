/**
 * The upload queue as the functions outside the VPC write it (functions/adapters/sqs/upload-queue.ts), with
 * @aws-sdk/client-sqs against the local stack's SQS surface over its pg-boss queue: what arrives is what the
 * worker reads, and SQS's own refusals come back as SQS sends them.
 */
import {
  SendMessageBatchCommand,
  SendMessageCommand,
  SQSClient,
  type SQSServiceException,
} from '@aws-sdk/client-sqs';
import type { SQSEvent } from 'aws-lambda';
import type { PgBoss } from 'pg-boss';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SqsUploadQueue } from '#adapters/sqs/upload-queue';
import { UploadsNotQueuedError } from '#core/platform-errors';
import { systemClock } from '#core/ports';
import { parseUploadNotification } from '#core/upload-notification';
import type { SqsQueue } from '#infra/local/queue';
import { S3RVER_CREDENTIALS } from '#infra/local/services/s3';
import { type AwsEndpoint, startAwsEndpoint } from '#test/helpers/aws-endpoint';
import { startTestQueue } from '#test/helpers/local-queue';

const REGION = 'us-east-1';
const schema = `pgboss_upload_queue_${process.pid}`;
let boss: PgBoss;
let queue: SqsQueue;
let endpoint: AwsEndpoint;
let client: SQSClient;
const received: SQSEvent['Records'] = [];

async function eventually(predicate: () => boolean): Promise<void> {
  while (!predicate()) await new Promise((resolve) => setTimeout(resolve, 100));
}

function queueUrl(): string {
  return process.env.UPLOAD_QUEUE_URL ?? '';
}

/** What SQS answered instead of a result. */
async function refusal(sending: Promise<unknown>): Promise<{ name: string; status?: number }> {
  try {
    await sending;
  } catch (error) {
    const failure = error as SQSServiceException;
    return { name: failure.name, status: failure.$metadata.httpStatusCode };
  }
  throw new Error('SQS accepted it');
}

beforeAll(async () => {
  ({ boss, queue } = await startTestQueue({
    databaseUrl: process.env.DATABASE_URL ?? '',
    schema,
    region: REGION,
    queue: { visibilityTimeoutSeconds: 30, maxReceiveCount: 3, batchSize: 10 },
  }));
  await queue.consume(
    { name: 'process-upload', region: REGION, timeoutSeconds: 5, memoryMb: 128 },
    (event) => {
      received.push(...event.Records);
      return Promise.resolve(undefined);
    },
  );
  endpoint = await startAwsEndpoint({ queue, region: REGION });
  client = new SQSClient({ region: REGION, credentials: S3RVER_CREDENTIALS });
});

afterAll(async () => {
  client.destroy();
  await endpoint.stop();
  await boss.stop({ graceful: false });
});

describe('SqsUploadQueue', () => {
  it('queues every upload, in batches of ten, as the S3 notification the worker reads', async () => {
    // Prepare: more than one batch.
    const uploads = Array.from({ length: 12 }, (_, index) => ({
      taskId: index + 1,
      key: `uploads/pilot/${index + 1}/heat ${index + 1}.mp4`,
      sizeBytes: 1000 + index,
    }));
    const uploadQueue = new SqsUploadQueue(client, {
      queueUrl: queueUrl(),
      bucket: 'idrl-videos',
      clock: systemClock,
    });

    // Act
    await uploadQueue.send(uploads);
    await eventually(() => received.length === uploads.length);

    // Assess
    const objects = received.flatMap((record) => {
      const notification = parseUploadNotification(record.body);
      return notification.kind === 'objects' ? notification.objects : [];
    });
    expect(objects.sort((a, b) => a.sizeBytes - b.sizeBytes)).toEqual(
      uploads.map(({ key, sizeBytes }) => ({ key, sizeBytes })),
    );
    expect(new Set(received.map((record) => record.attributes.ApproximateReceiveCount))).toEqual(
      new Set(['1']),
    );
    expect(endpoint.errors).toEqual([]);
  });

  it('names every task whose upload it could not queue', async () => {
    // Prepare: a queue that does not exist.
    const missing = new SqsUploadQueue(client, {
      queueUrl: queueUrl().replace(/[^/]+$/, 'no-such-queue'),
      bucket: 'idrl-videos',
      clock: systemClock,
    });

    // Act
    const sending = missing.send([
      { taskId: 4, key: 'uploads/a/4/x', sizeBytes: 1 },
      { taskId: 5, key: 'uploads/a/5/x', sizeBytes: 1 },
    ]);

    // Assess
    await expect(sending).rejects.toThrow(new UploadsNotQueuedError([4, 5]));
    await expect(sending).rejects.toMatchObject({
      cause: { errors: [expect.objectContaining({ name: 'QueueDoesNotExist' })] },
    });
  });
});

describe('the local SQS surface', () => {
  it('refuses what SQS refuses: an empty batch, more than ten entries, repeated ids, no signature', async () => {
    // Prepare
    const entry = (id: string) => ({ Id: id, MessageBody: '{}' });

    // Act
    const empty = refusal(client.send(new SendMessageBatchCommand({ QueueUrl: queueUrl(), Entries: [] })));
    const eleven = refusal(
      client.send(
        new SendMessageBatchCommand({
          QueueUrl: queueUrl(),
          Entries: Array.from({ length: 11 }, (_, index) => entry(String(index))),
        }),
      ),
    );
    const repeated = refusal(
      client.send(new SendMessageBatchCommand({ QueueUrl: queueUrl(), Entries: [entry('a'), entry('a')] })),
    );
    const unsigned = await fetch(endpoint.gateway.url, {
      method: 'POST',
      headers: { 'x-amz-target': 'AmazonSQS.SendMessage', 'content-type': 'application/x-amz-json-1.0' },
      body: JSON.stringify({ QueueUrl: queueUrl(), MessageBody: '{}' }),
    });

    // Assess
    expect(await empty).toEqual({ name: 'EmptyBatchRequest', status: 400 });
    expect(await eleven).toEqual({ name: 'TooManyEntriesInBatchRequest', status: 400 });
    expect(await repeated).toEqual({ name: 'BatchEntryIdsNotDistinct', status: 400 });
    expect({ status: unsigned.status, body: (await unsigned.json()) as unknown }).toEqual({
      status: 403,
      // SQS's JSON error shape, as the IAM enforcement answers every refusal of the surface.
      body: {
        __type: 'com.amazon.coral.service#MissingAuthenticationTokenException',
        message: 'Missing Authentication Token',
      },
    });
  });

  it('answers SendMessage with the id and checksum the SDK verifies', async () => {
    // Prepare
    const before = received.length;

    // Act
    const sent = await client.send(new SendMessageCommand({ QueueUrl: queueUrl(), MessageBody: '{"k":1}' }));
    await eventually(() => received.length === before + 1);

    // Assess
    expect(sent).toMatchObject({
      MessageId: received.at(-1)?.messageId,
      MD5OfMessageBody: received.at(-1)?.md5OfBody,
    });
  });
});
