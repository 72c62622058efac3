/**
 * A durable local queue with the SQS semantics the worker is written against, on pg-boss in the
 * platform's PostgreSQL:
 * - a received message is invisible for the visibility timeout (pg-boss `expireInSeconds`); if
 *   the consumer dies without answering, the message is delivered again after it;
 * - a failed message (handler error, or listed in `batchItemFailures`) is delivered again with
 *   `ApproximateReceiveCount` + 1, and after `maxReceiveCount` receives moves to the dead-letter
 *   queue (pg-boss `retryLimit` = maxReceiveCount − 1, `deadLetter`);
 * - the consumer gets `SQSEvent` batches and may answer with partial batch failures
 *   (`ReportBatchItemFailures`), exactly like an SQS event source mapping.
 */
import { createHash } from 'node:crypto';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { type JobWithMetadata, PgBoss } from 'pg-boss';
import { LOCAL_ACCOUNT_ID, type LocalFunction, invoke } from './lambda-context';

export type SqsBatchHandler = (event: SQSEvent, context: Context) => Promise<SQSBatchResponse | undefined>;

export interface SqsQueueOptions {
  name: string;
  deadLetterName: string;
  region: string;
  visibilityTimeoutSeconds: number;
  /** Receives before a message is dead-lettered (SQS redrive policy `maxReceiveCount`). */
  maxReceiveCount: number;
  /**
   * Delay before a failed message is delivered again. On SQS it reappears when its visibility
   * timeout ends; locally a shorter delay keeps the edit-run loop quick (documented deviation).
   */
  retryDelaySeconds: number;
  batchSize: number;
  pollingIntervalSeconds: number;
  /** pg-boss's schema (where count reads the DLQ). @default BOSS_SCHEMA */
  schema?: string;
}

interface MessageData {
  body: string;
}

export interface SqsQueue {
  arn: string;
  /** Enqueues durably: when this resolves, the message survives a restart. Returns the messageId. */
  send(body: string): Promise<string>;
  /** Starts delivering batches to `handler`, run as the Lambda function `fn`. */
  consume(fn: LocalFunction, handler: SqsBatchHandler): Promise<void>;
  /** The dead-letter queue as the redrive command reaches it (infra/local/sqs-endpoint.ts). */
  deadLetters: DeadLetterQueue;
}

export interface DeadLetterQueue {
  arn: string;
  /** Messages waiting (what the DLQ alarm watches on AWS). */
  count(): Promise<number>;
  /** Messages waiting, oldest first, left where they are (a receive with visibility timeout 0). */
  peek(max: number): Promise<{ id: string; body: string; sentAt: Date }[]>;
  /**
   * Moves every waiting message back to its queue as a new message (receive count 1), like SQS
   * StartMessageMoveTask; returns how many moved.
   */
  redrive(): Promise<number>;
}

/** pg-boss's schema in the platform database. */
const BOSS_SCHEMA = 'pgboss';

/** The sender of S3 notifications as SQS reports it. */
const S3_SENDER_ID = 'AIDAJHIPRHEMV73VRJEBU';

function md5(text: string): string {
  return createHash('md5').update(text).digest('hex');
}

export function toSqsRecord(job: JobWithMetadata<MessageData>, queueArn: string, region: string): SQSRecord {
  const receiveCount = job.retryCount + 1;
  return {
    messageId: job.id,
    // A new handle per receive, as on SQS; nothing locally needs to parse it.
    receiptHandle: Buffer.from(`${job.id}:${receiveCount}:${job.startedOn.getTime()}`).toString('base64'),
    body: job.data.body,
    attributes: {
      ApproximateReceiveCount: String(receiveCount),
      SentTimestamp: String(job.createdOn.getTime()),
      SenderId: S3_SENDER_ID,
      ApproximateFirstReceiveTimestamp: String(job.startedOn.getTime()),
    },
    messageAttributes: {},
    md5OfBody: md5(job.data.body),
    eventSource: 'aws:sqs',
    eventSourceARN: queueArn,
    awsRegion: region,
  };
}

/**
 * Which messages failed, by the rules of ReportBatchItemFailures: a thrown error or an identifier
 * that is not in the batch fails the whole batch; an empty or missing list means all succeeded.
 */
export function failedMessageIds(
  batch: readonly SQSRecord[],
  response: SQSBatchResponse | undefined,
): string[] {
  const failures = response?.batchItemFailures ?? [];
  const ids = new Set(batch.map((record) => record.messageId));
  if (failures.some((failure) => !ids.has(failure.itemIdentifier))) return [...ids];
  return failures.map((failure) => failure.itemIdentifier);
}

export async function createSqsQueue(boss: PgBoss, options: SqsQueueOptions): Promise<SqsQueue> {
  const settings = {
    retryLimit: options.maxReceiveCount - 1,
    retryDelay: options.retryDelaySeconds,
    retryBackoff: false,
    expireInSeconds: options.visibilityTimeoutSeconds,
    deadLetter: options.deadLetterName,
  };
  await boss.createQueue(options.deadLetterName);
  // createQueue keeps an existing queue as it is; updateQueue applies changed settings on restart.
  await boss.createQueue(options.name, settings);
  await boss.updateQueue(options.name, settings);
  const arn = `arn:aws:sqs:${options.region}:${LOCAL_ACCOUNT_ID}:${options.name}`;
  const send = async (body: string): Promise<string> => {
    const id = await boss.send(options.name, { body } satisfies MessageData);
    if (id === null) throw new Error(`Queue ${options.name} refused the message`);
    return id;
  };
  const deadLetters: DeadLetterQueue = {
    arn: `arn:aws:sqs:${options.region}:${LOCAL_ACCOUNT_ID}:${options.deadLetterName}`,
    // A live count: pg-boss's own queue counts (getQueue, getQueueStats) are the monitor's cached
    // figures, which lag a message that was just dead-lettered or redriven.
    count: async () => {
      const { rows } = await boss
        .getDb()
        .executeSql(
          `SELECT count(*)::int AS waiting FROM ${options.schema ?? BOSS_SCHEMA}.job WHERE name = $1 AND state < 'active'`,
          [options.deadLetterName],
        );
      return (rows as { waiting: number }[])[0]?.waiting ?? 0;
    },
    peek: async (max) => {
      const jobs = await boss.findJobs<MessageData>(options.deadLetterName, { queued: true, limit: max });
      return jobs.map((job) => ({ id: job.id, body: job.data.body, sentAt: job.createdOn }));
    },
    redrive: async () => {
      let moved = 0;
      for (;;) {
        const jobs = await boss.fetch<MessageData>(options.deadLetterName, { batchSize: 50 });
        if (jobs.length === 0) return moved;
        // Sent before it leaves the DLQ: a crash in between duplicates a message, which the worker's
        // conditional transitions absorb, instead of losing one.
        for (const job of jobs) await send(job.data.body);
        await boss.complete(
          options.deadLetterName,
          jobs.map((job) => job.id),
        );
        moved += jobs.length;
      }
    },
  };

  return {
    arn,
    send,
    deadLetters,
    consume: async (fn, handler) => {
      await boss.work(
        options.name,
        {
          batchSize: options.batchSize,
          includeMetadata: true,
          pollingIntervalSeconds: options.pollingIntervalSeconds,
        },
        async function deliverBatch(jobs: JobWithMetadata<MessageData>[]) {
          const records = jobs.map((job) => toSqsRecord(job, arn, options.region));
          // A rejection here makes pg-boss fail the whole batch, as a Lambda error does on SQS.
          const response = await invoke(fn, (context) => handler({ Records: records }, context));
          const failed = failedMessageIds(records, response);
          // pg-boss then completes the rest: it only completes jobs that are still active.
          if (failed.length > 0) await boss.fail(options.name, failed);
        },
      );
    },
  };
}

/** pg-boss on the platform database, in a schema of its own. */
export async function startBoss(
  databaseUrl: string,
  onError: (error: Error) => void,
  schema = BOSS_SCHEMA,
): Promise<PgBoss> {
  const boss = new PgBoss({ connectionString: databaseUrl, schema, max: 4 });
  boss.on('error', onError);
  await boss.start();
  return boss;
}
