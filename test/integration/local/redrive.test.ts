import type { SQSEvent } from 'aws-lambda';
import type { PgBoss } from 'pg-boss';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runRedrive } from '#functions/ops/redrive';
import type { SqsQueue } from '#infra/local/queue';
import { storedObjectNotification } from '#infra/local/services/s3';
import { type AwsEndpoint, startAwsEndpoint } from '#test/helpers/aws-endpoint';
import { startTestQueue } from '#test/helpers/local-queue';

const schema = `pgboss_redrive_${process.pid}`;
let boss: PgBoss;
let queue: SqsQueue;
let endpoint: AwsEndpoint;
const batches: SQSEvent[] = [];
/** The worker fails every message while this is set, as during a database outage. */
let outage = true;

async function eventually(predicate: () => Promise<boolean> | boolean): Promise<void> {
  while (!(await predicate())) await new Promise((resolve) => setTimeout(resolve, 200));
}

async function redrive(...args: string[]): Promise<string[]> {
  const lines: string[] = [];
  await runRedrive(args, { DLQ_ARN: queue.deadLetters.arn }, (line) => lines.push(line));
  return lines;
}

beforeAll(async () => {
  ({ boss, queue } = await startTestQueue({
    databaseUrl: process.env.DATABASE_URL ?? '',
    schema,
    region: 'us-east-1',
    queue: { visibilityTimeoutSeconds: 30, maxReceiveCount: 2, batchSize: 1 },
  }));
  await queue.consume(
    { name: 'process-upload', region: 'us-east-1', timeoutSeconds: 5, memoryMb: 128 },
    (event) => {
      batches.push(event);
      return Promise.resolve(
        outage
          ? { batchItemFailures: event.Records.map((record) => ({ itemIdentifier: record.messageId })) }
          : undefined,
      );
    },
  );
  endpoint = await startAwsEndpoint({ queue, region: 'us-east-1' });
});

afterAll(async () => {
  await endpoint.stop();
  await boss.stop({ graceful: false });
});

describe('npm run redrive against the local stack', () => {
  it('shows a message dead-lettered during an outage and moves it back to be processed', async () => {
    // Prepare: the notification of uploads/7/n fails every receive and lands in the DLQ.
    const body = JSON.stringify(
      storedObjectNotification({
        bucket: 'idrl-videos',
        key: 'uploads/7/n',
        size: 10,
        eTag: 'e',
        region: 'us-east-1',
        storedAt: new Date('2026-03-01T12:00:00.000Z'),
      }),
    );
    await queue.send(body);
    await eventually(async () => (await queue.deadLetters.count()) === 1);

    // Act
    const before = await redrive('status');
    const peeked = await redrive('peek');
    outage = false;
    const started = await redrive('start');
    await eventually(() => batches.length === 3);
    const after = await redrive('status');

    // Assess
    expect(before).toEqual([`${queue.deadLetters.arn}: 1 message(s) waiting`]);
    expect(peeked).toEqual([expect.stringMatching(/ {2}received 1× {2}uploads\/7\/n$/)]);
    expect(started).toEqual([
      expect.stringMatching(
        /^Redrive started \(move task [0-9a-f-]{36}\); follow it with: npm run redrive -- status$/,
      ),
    ]);
    const redriven = batches[2]?.Records[0];
    expect({ body: redriven?.body, receiveCount: redriven?.attributes.ApproximateReceiveCount }).toEqual({
      body,
      receiveCount: '1',
    });
    expect(after).toEqual([
      `${queue.deadLetters.arn}: 0 message(s) waiting`,
      expect.stringMatching(/^ {2}move task COMPLETED: 1 moved, started \d{4}-\d\d-\d\dT/),
    ]);
  });

  it('refuses an unknown command with the usage', async () => {
    await expect(redrive('purge')).rejects.toThrow('Unknown command "purge".\nusage: DLQ_ARN=');
  });
});
