/**
 * `npm run redrive -- [status|peek [n]|start]`: the on-call admin's view of the upload DLQ and its
 * redrive (docs/operations.md, "Redrive"). Run from a workstation with AWS credentials, not as a
 * Lambda. Configuration: DLQ_ARN (the stack output DeadLetterQueueArn); the region is the ARN's.
 * Against the local stack, AWS_ENDPOINT_URL_SQS points the same calls at its gateway (the banner
 * of `npm start` prints the line).
 */
import { SQSClient } from '@aws-sdk/client-sqs';
import { SqsDeadLetterQueue } from '#adapters/sqs/dead-letter-queue';
import { MalformedNotificationError } from '#core/processing-errors';
import { parseUploadNotification } from '#core/upload-notification';

const USAGE =
  'usage: DLQ_ARN=arn:aws:sqs:<region>:<account>:<dlq> npm run redrive -- [status|peek [n]|start]';

/** What a dead-lettered body is about, in one line: the object keys of its notification. */
function describeBody(body: string): string {
  try {
    const notification = parseUploadNotification(body);
    return notification.kind === 'test'
      ? 's3:TestEvent'
      : notification.objects.map((object) => object.key).join(', ');
  } catch (error) {
    if (error instanceof MalformedNotificationError) return `not an S3 notification: ${body.slice(0, 80)}`;
    throw error;
  }
}

export async function runRedrive(
  args: readonly string[],
  env: NodeJS.ProcessEnv,
  print: (line: string) => void,
): Promise<void> {
  const arn = env.DLQ_ARN?.trim();
  const region = arn?.split(':')[3];
  if (!arn || !region) throw new Error(`DLQ_ARN is not set to a queue ARN.\n${USAGE}`);
  const dlq = new SqsDeadLetterQueue(new SQSClient({ region }), arn);
  const [command = 'status', count = '10'] = args;
  switch (command) {
    case 'status': {
      print(`${arn}: ${await dlq.depth()} message(s) waiting`);
      for (const task of await dlq.moveTasks())
        print(
          `  move task ${task.status}: ${task.moved}${task.toMove === undefined ? '' : `/${task.toMove}`} moved` +
            `${task.startedAt ? `, started ${task.startedAt.toISOString()}` : ''}${task.failureReason ? `, ${task.failureReason}` : ''}`,
        );
      return;
    }
    case 'peek':
      for (const message of await dlq.peek(Number(count)))
        print(
          `${message.messageId}  sent ${message.sentAt.toISOString()}  received ${message.receiveCount}×  ${describeBody(message.body)}`,
        );
      return;
    case 'start':
      print(`Redrive started (move task ${await dlq.redrive()}); follow it with: npm run redrive -- status`);
      return;
    default:
      throw new Error(`Unknown command "${command}".\n${USAGE}`);
  }
}

// Run as a script (tsx), not when a test imports the module.
if (import.meta.url === `file://${process.argv[1] ?? ''}`) {
  runRedrive(process.argv.slice(2), process.env, (line) => {
    console.log(line);
  }).catch((error: unknown) => {
    console.error(`redrive: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  });
}
