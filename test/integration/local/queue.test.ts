import { randomUUID } from 'node:crypto';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import type { PgBoss } from 'pg-boss';
import { afterEach, describe, expect, it } from 'vitest';
import type { LocalFunction } from '#infra/local/lambda-context';
import {
  type SqsBatchHandler,
  type SqsQueue,
  type SqsQueueOptions,
  createSqsQueue,
  startBoss,
} from '#infra/local/queue';

const worker: LocalFunction = {
  name: 'process-upload',
  region: 'us-east-1',
  timeoutSeconds: 5,
  memoryMb: 2048,
};

function queueOptions(overrides: Partial<SqsQueueOptions> = {}): SqsQueueOptions {
  const name = `q-${randomUUID()}`;
  return {
    name,
    deadLetterName: `${name}-dlq`,
    region: 'us-east-1',
    visibilityTimeoutSeconds: 30,
    maxReceiveCount: 3,
    retryDelaySeconds: 0,
    batchSize: 1,
    pollingIntervalSeconds: 0.5,
    schema,
    ...overrides,
  };
}

/** Collects every delivered batch; resolves `until` once the predicate holds. */
function recorder(answer: (event: SQSEvent) => Promise<SQSBatchResponse | undefined>) {
  const batches: SQSEvent[] = [];
  let waiting: { predicate: () => boolean; resolve: () => void } | undefined;
  const handler: SqsBatchHandler = async (event) => {
    batches.push(event);
    try {
      return await answer(event);
    } finally {
      if (waiting?.predicate()) waiting.resolve();
    }
  };
  const until = (predicate: () => boolean): Promise<void> =>
    predicate() ? Promise.resolve() : new Promise((resolve) => (waiting = { predicate, resolve }));
  return { batches, handler, until };
}

const bosses: PgBoss[] = [];
async function boss(schema: string): Promise<PgBoss> {
  const started = await startBoss(
    process.env.DATABASE_URL ?? '',
    (error) => {
      throw error;
    },
    schema,
  );
  bosses.push(started);
  return started;
}

const schema = `pgboss_test_${process.pid}`;

afterEach(async () => {
  await Promise.all(bosses.splice(0).map((started) => started.stop({ graceful: false })));
});

/**
 * Waits until pg-boss has settled every job of the queue (completed, or failed into the dead-letter
 * queue): it does so right after the handler returns, but a busy machine may take its time.
 */
async function settle(started: PgBoss, queueName: string): Promise<void> {
  const deadline = Date.now() + 60_000;
  // A live count of created, retry and active jobs: pg-boss's own queue counts are the monitor's cache.
  const unsettled = async () => {
    const { rows } = await started
      .getDb()
      .executeSql(`SELECT count(*)::int AS n FROM ${schema}.job WHERE name = $1 AND state < 'completed'`, [
        queueName,
      ]);
    return (rows as { n: number }[])[0]?.n ?? 0;
  };
  while ((await unsettled()) > 0) {
    if (Date.now() > deadline) throw new Error(`jobs of ${queueName} still unsettled after 60 s`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe('local SQS queue on pg-boss', () => {
  it('delivers a sent message as an SQS record with its body, id and a receive count of 1', async () => {
    // Prepare
    const queue: SqsQueue = await createSqsQueue(await boss(schema), queueOptions());
    const { batches, handler, until } = recorder(() => Promise.resolve(undefined));
    const body = JSON.stringify({ Records: [{ eventName: 'ObjectCreated:Post' }] });

    // Act
    const messageId = await queue.send(body);
    await queue.consume(worker, handler);
    await until(() => batches.length === 1);

    // Assess
    const record = batches[0]?.Records[0];
    expect(batches[0]?.Records).toHaveLength(1);
    expect(record).toEqual({
      messageId,
      receiptHandle: expect.any(String) as string,
      body,
      attributes: {
        ApproximateReceiveCount: '1',
        SentTimestamp: expect.stringMatching(/^\d{13}$/) as string,
        SenderId: expect.any(String) as string,
        ApproximateFirstReceiveTimestamp: expect.stringMatching(/^\d{13}$/) as string,
      },
      messageAttributes: {},
      md5OfBody: expect.stringMatching(/^[0-9a-f]{32}$/) as string,
      eventSource: 'aws:sqs',
      eventSourceARN: queue.arn,
      awsRegion: 'us-east-1',
    });
    expect(queue.arn).toMatch(/^arn:aws:sqs:us-east-1:000000000000:q-/);
  });

  it('redelivers a message reported in batchItemFailures and dead-letters it after the third receive', async () => {
    // Prepare
    const [started, options] = [await boss(schema), queueOptions()];
    const queue = await createSqsQueue(started, options);
    const { batches, handler, until } = recorder((event) =>
      Promise.resolve({
        batchItemFailures: event.Records.map((record) => ({ itemIdentifier: record.messageId })),
      }),
    );

    // Act
    await queue.send('always fails');
    await queue.consume(worker, handler);
    await until(() => batches.length === 3);
    await settle(started, options.name);

    // Assess
    expect(batches.map((batch) => batch.Records[0]?.attributes.ApproximateReceiveCount)).toEqual([
      '1',
      '2',
      '3',
    ]);
    expect(await queue.deadLetters.count()).toBe(1);
    expect(batches).toHaveLength(3);
  });

  it('redelivers only the failed message of a partially failed batch', async () => {
    // Prepare: 'bad' fails on its first receive only
    const [started, options] = [await boss(schema), queueOptions({ batchSize: 2 })];
    const queue = await createSqsQueue(started, options);
    const failsFirstTime = (record: SQSEvent['Records'][number]): boolean =>
      record.body === 'bad' && record.attributes.ApproximateReceiveCount === '1';
    const { batches, handler, until } = recorder((event) =>
      Promise.resolve({
        batchItemFailures: event.Records.filter(failsFirstTime).map((record) => ({
          itemIdentifier: record.messageId,
        })),
      }),
    );
    await queue.send('good');
    await queue.send('bad');

    // Act
    await queue.consume(worker, handler);
    await until(() => batches.flatMap((batch) => batch.Records).length === 3);
    await settle(started, options.name);

    // Assess
    const deliveries = batches
      .flatMap((batch) => batch.Records)
      .map((record) => [record.body, record.attributes.ApproximateReceiveCount]);
    expect(deliveries).toEqual(
      expect.arrayContaining([
        ['good', '1'],
        ['bad', '1'],
        ['bad', '2'],
      ]),
    );
    expect(deliveries).toHaveLength(3);
  });

  it('fails the whole batch when the handler throws, and again when it outlives its timeout', async () => {
    // Prepare
    const [started, options] = [await boss(schema), queueOptions()];
    const queue = await createSqsQueue(started, options);
    let receives = 0;
    const { batches, handler, until } = recorder(async () => {
      receives += 1;
      if (receives === 1) throw new Error('worker crashed');
      if (receives === 2) await new Promise((resolve) => setTimeout(resolve, 2_500));
      return undefined;
    });

    // Act
    await queue.send('flaky');
    await queue.consume({ ...worker, timeoutSeconds: 1 }, handler);
    await until(() => batches.length === 3);
    await settle(started, options.name);

    // Assess
    expect(batches.map((batch) => batch.Records[0]?.attributes.ApproximateReceiveCount)).toEqual([
      '1',
      '2',
      '3',
    ]);
    expect(await queue.deadLetters.count()).toBe(0);
  });

  it('keeps an acknowledged message across a restart of the queue', async () => {
    // Prepare
    const options = queueOptions();
    const first = await createSqsQueue(await boss(schema), options);
    const messageId = await first.send('survives');
    await Promise.all(bosses.splice(0).map((started) => started.stop({ graceful: false })));

    // Act
    const second = await createSqsQueue(await boss(schema), options);
    const { batches, handler, until } = recorder(() => Promise.resolve(undefined));
    await second.consume(worker, handler);
    await until(() => batches.length === 1);

    // Assess
    expect(batches[0]?.Records.map((record) => [record.messageId, record.body])).toEqual([
      [messageId, 'survives'],
    ]);
  });
});
