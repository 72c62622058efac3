/**
 * The SQS calls the platform makes, answered by the local gateway over the pg-boss queue, in the AWS JSON 1.0
 * protocol the SDK speaks: the redrive command's (functions/adapters/sqs/dead-letter-queue.ts) on the upload DLQ,
 * and the sends of the functions to the event sources' queues (functions/adapters/sqs/upload-queue.ts on the upload
 * queue, functions/adapters/sqs/view-queue.ts on the views queue). With AWS_ENDPOINT_URL_SQS set to the gateway, both run unchanged against the local stack. Local
 * differences (docs/local-stack.md): ReceiveMessage is always a peek (the command only peeks), and a move task
 * completes before StartMessageMoveTask answers.
 */
import { createHash, randomUUID } from 'node:crypto';
import type { AwsApiAnswer } from './gateway';
import { LOCAL_ACCOUNT_ID } from './lambda-context';
import type { DeadLetterQueue, SqsQueue } from './queue';

interface MoveTask {
  TaskHandle: string;
  Status: 'COMPLETED';
  SourceArn: string;
  ApproximateNumberOfMessagesMoved: number;
  StartedTimestamp: number;
}

/** SQS's limit of entries per SendMessageBatch. */
const MAX_BATCH_ENTRIES = 10;

function error(type: string, message: string): AwsApiAnswer {
  return { statusCode: 400, body: { __type: `com.amazonaws.sqs#${type}`, message } };
}

/** `arn:aws:sqs:<region>:<account>:<name>` or `<endpoint>/<account>/<name>` → name. */
function lastSegment(value: unknown, separator: string): string {
  return typeof value === 'string' ? (value.split(separator).at(-1) ?? '') : '';
}

function md5(text: string): string {
  return createHash('md5').update(text).digest('hex');
}

/** A SendMessageBatch's entries, or the error SQS answers a malformed batch with. */
function batchEntries(input: Record<string, unknown>): { Id: string; MessageBody: string }[] | AwsApiAnswer {
  const entries = Array.isArray(input.Entries) ? (input.Entries as Record<string, unknown>[]) : [];
  if (entries.length === 0)
    return error('EmptyBatchRequest', 'The batch request does not contain any entries.');
  if (entries.length > MAX_BATCH_ENTRIES)
    return error(
      'TooManyEntriesInBatchRequest',
      `Maximum number of entries per request are ${MAX_BATCH_ENTRIES}.`,
    );
  const ids = entries.map((entry) => entry.Id);
  if (new Set(ids).size !== ids.length)
    return error('BatchEntryIdsNotDistinct', 'Two or more batch entries in the request have the same Id.');
  if (entries.some((entry) => typeof entry.Id !== 'string' || typeof entry.MessageBody !== 'string'))
    return error('InvalidParameterValue', 'Every entry needs an Id and a MessageBody.');
  return entries as { Id: string; MessageBody: string }[];
}

export function sqsApi(options: {
  /** The queues functions send to. */
  queues: readonly Pick<SqsQueue, 'arn' | 'send'>[];
  /** The upload queue's DLQ, which the redrive command reads and moves. */
  deadLetters: DeadLetterQueue;
  /** The gateway's address, for the queue URLs it hands out. */
  endpoint: () => string;
}): (target: string, body: Buffer) => Promise<AwsApiAnswer | undefined> {
  const { deadLetters } = options;
  const deadLetterName = lastSegment(deadLetters.arn, ':');
  const queues = new Map(options.queues.map((queue) => [lastSegment(queue.arn, ':'), queue]));
  const moves: MoveTask[] = [];

  return async (target, raw) => {
    if (!target.startsWith('AmazonSQS.')) return undefined;
    const input = JSON.parse(raw.toString('utf8') || '{}') as Record<string, unknown>;
    const queueMissing = error('QueueDoesNotExist', 'The specified queue does not exist.');
    const addressed = lastSegment(input.QueueUrl, '/');
    switch (target.slice('AmazonSQS.'.length)) {
      case 'GetQueueUrl': {
        const name = typeof input.QueueName === 'string' ? input.QueueName : '';
        if (name !== deadLetterName && !queues.has(name)) return queueMissing;
        return { statusCode: 200, body: { QueueUrl: `${options.endpoint()}/${LOCAL_ACCOUNT_ID}/${name}` } };
      }
      case 'SendMessage': {
        const queue = queues.get(addressed);
        if (queue === undefined) return queueMissing;
        if (typeof input.MessageBody !== 'string')
          return error('MissingParameter', 'The request must contain the parameter MessageBody.');
        const messageId = await queue.send(input.MessageBody);
        return { statusCode: 200, body: { MessageId: messageId, MD5OfMessageBody: md5(input.MessageBody) } };
      }
      case 'SendMessageBatch': {
        const queue = queues.get(addressed);
        if (queue === undefined) return queueMissing;
        const entries = batchEntries(input);
        if (!Array.isArray(entries)) return entries;
        const successful = [];
        const failed = [];
        // One at a time, in order, as each is durable once send resolves; as SQS, a failure is the entry's own.
        for (const entry of entries) {
          try {
            const messageId = await queue.send(entry.MessageBody);
            successful.push({ Id: entry.Id, MessageId: messageId, MD5OfMessageBody: md5(entry.MessageBody) });
          } catch (cause) {
            failed.push({ Id: entry.Id, Code: 'InternalError', SenderFault: false, Message: String(cause) });
          }
        }
        return { statusCode: 200, body: { Successful: successful, Failed: failed } };
      }
      case 'GetQueueAttributes':
        if (addressed !== deadLetterName) return queueMissing;
        return {
          statusCode: 200,
          body: {
            Attributes: {
              ApproximateNumberOfMessages: String(await deadLetters.count()),
              QueueArn: deadLetters.arn,
            },
          },
        };
      case 'ReceiveMessage': {
        if (addressed !== deadLetterName) return queueMissing;
        const max = typeof input.MaxNumberOfMessages === 'number' ? input.MaxNumberOfMessages : 1;
        const messages = await deadLetters.peek(max);
        return {
          statusCode: 200,
          body: {
            Messages: messages.map((message) => ({
              MessageId: message.id,
              ReceiptHandle: Buffer.from(message.id).toString('base64'),
              Body: message.body,
              // The SDK checks it, as SQS sends it.
              MD5OfBody: md5(message.body),
              Attributes: { SentTimestamp: String(message.sentAt.getTime()), ApproximateReceiveCount: '1' },
            })),
          },
        };
      }
      case 'StartMessageMoveTask': {
        if (input.SourceArn !== deadLetters.arn)
          return error('ResourceNotFoundException', 'No such source queue.');
        const startedAt = Date.now();
        const moved = await deadLetters.redrive();
        const task: MoveTask = {
          TaskHandle: randomUUID(),
          Status: 'COMPLETED',
          SourceArn: deadLetters.arn,
          ApproximateNumberOfMessagesMoved: moved,
          StartedTimestamp: startedAt,
        };
        moves.unshift(task);
        return { statusCode: 200, body: { TaskHandle: task.TaskHandle } };
      }
      case 'ListMessageMoveTasks':
        if (input.SourceArn !== deadLetters.arn)
          return error('ResourceNotFoundException', 'No such source queue.');
        return { statusCode: 200, body: { Results: moves.slice(0, 10) } };
      default:
        return error('UnsupportedOperation', `${target} is not part of the local SQS surface.`);
    }
  };
}
