/**
 * A local upload queue (infra/local/queue.ts: SQS semantics on pg-boss) of a test's own, in a pg-boss schema of
 * its own: a fresh queue name per call, redelivery at once (no retry delay) and the quickest polling pg-boss allows.
 */
import { randomUUID } from 'node:crypto';
import type { PgBoss } from 'pg-boss';
import { createSqsQueue, type SqsQueue, type SqsQueueOptions, startBoss } from '#infra/local/queue';

export async function startTestQueue(options: {
  databaseUrl: string;
  schema: string;
  region: string;
  /** Errors of pg-boss itself: fail the run unless the test expects them. @default throw */
  onError?: (error: unknown) => void;
  queue: Pick<SqsQueueOptions, 'visibilityTimeoutSeconds' | 'maxReceiveCount' | 'batchSize'>;
}): Promise<{ boss: PgBoss; queue: SqsQueue }> {
  const boss = await startBoss(
    options.databaseUrl,
    options.onError ??
      ((error) => {
        throw error;
      }),
    options.schema,
  );
  const name = `uploads-${randomUUID()}`;
  const queue = await createSqsQueue(boss, {
    name,
    deadLetterName: `${name}-dlq`,
    region: options.region,
    retryDelaySeconds: 0,
    pollingIntervalSeconds: 0.5,
    schema: options.schema,
    ...options.queue,
  });
  return { boss, queue };
}
