/**
 * The SQS calls of the redrive command (functions/adapters/sqs/dead-letter-queue.ts), answered by
 * the local gateway over the pg-boss queue, in the AWS JSON 1.0 protocol the SDK speaks: with
 * AWS_ENDPOINT_URL_SQS set to the gateway, `npm run redrive` works against the local stack
 * unchanged. Local differences (docs/local-stack.md): ReceiveMessage is always a peek (the command
 * only peeks), and a move task completes before StartMessageMoveTask answers.
 */
import { createHash, randomUUID } from 'node:crypto';
import type { AwsApiAnswer } from './gateway';
import { LOCAL_ACCOUNT_ID } from './lambda-context';
import type { DeadLetterQueue } from './queue';

interface MoveTask {
  TaskHandle: string;
  Status: 'COMPLETED';
  SourceArn: string;
  ApproximateNumberOfMessagesMoved: number;
  StartedTimestamp: number;
}

function error(type: string, message: string): AwsApiAnswer {
  return { statusCode: 400, body: { __type: `com.amazonaws.sqs#${type}`, message } };
}

/** `arn:aws:sqs:<region>:<account>:<name>` or `<endpoint>/<account>/<name>` → name. */
function lastSegment(value: unknown, separator: string): string {
  return typeof value === 'string' ? (value.split(separator).at(-1) ?? '') : '';
}

export function sqsApi(options: {
  deadLetters: DeadLetterQueue;
  /** The gateway's address, for the queue URLs it hands out. */
  endpoint: () => string;
}): (target: string, body: Buffer) => Promise<AwsApiAnswer | undefined> {
  const { deadLetters } = options;
  const name = lastSegment(deadLetters.arn, ':');
  const moves: MoveTask[] = [];

  return async (target, raw) => {
    if (!target.startsWith('AmazonSQS.')) return undefined;
    const input = JSON.parse(raw.toString('utf8') || '{}') as Record<string, unknown>;
    const queueMissing = error('QueueDoesNotExist', 'The specified queue does not exist.');
    switch (target.slice('AmazonSQS.'.length)) {
      case 'GetQueueUrl':
        if (input.QueueName !== name) return queueMissing;
        return { statusCode: 200, body: { QueueUrl: `${options.endpoint()}/${LOCAL_ACCOUNT_ID}/${name}` } };
      case 'GetQueueAttributes':
        if (lastSegment(input.QueueUrl, '/') !== name) return queueMissing;
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
        if (lastSegment(input.QueueUrl, '/') !== name) return queueMissing;
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
              MD5OfBody: createHash('md5').update(message.body).digest('hex'),
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
