/**
 * The upload queue's DLQ for the on-call admin (docs/operations.md, "Redrive"): how many messages
 * wait, what they are, and a redrive (SQS StartMessageMoveTask) back to the queue they came from.
 * The local stack answers the same calls (infra/local/sqs-endpoint.ts), so one command serves both.
 */
import {
  GetQueueAttributesCommand,
  GetQueueUrlCommand,
  ListMessageMoveTasksCommand,
  ReceiveMessageCommand,
  type SQSClient,
  StartMessageMoveTaskCommand,
} from '@aws-sdk/client-sqs';

export interface DeadLetter {
  messageId: string;
  body: string;
  /** Receives before it was dead-lettered, as far as SQS counted them. */
  receiveCount: number;
  sentAt: Date;
}

export interface MoveTask {
  status: string;
  moved: number;
  toMove?: number;
  startedAt?: Date;
  failureReason?: string;
}

/** `arn:aws:sqs:<region>:<account>:<name>` → name. */
function queueName(arn: string): string {
  const name = arn.split(':')[5];
  if (name === undefined || name === '') throw new Error(`Not an SQS queue ARN: ${arn}`);
  return name;
}

export class SqsDeadLetterQueue {
  constructor(
    private readonly client: SQSClient,
    private readonly arn: string,
  ) {}

  private async url(): Promise<string> {
    const { QueueUrl } = await this.client.send(new GetQueueUrlCommand({ QueueName: queueName(this.arn) }));
    if (QueueUrl === undefined) throw new Error(`No queue URL for ${this.arn}`);
    return QueueUrl;
  }

  /** Messages waiting in the DLQ (approximate, as SQS counts). */
  async depth(): Promise<number> {
    const { Attributes } = await this.client.send(
      new GetQueueAttributesCommand({
        QueueUrl: await this.url(),
        AttributeNames: ['ApproximateNumberOfMessages'],
      }),
    );
    return Number(Attributes?.ApproximateNumberOfMessages ?? 0);
  }

  /**
   * Up to 10 messages, left in the queue: received with a visibility timeout of 0, they stay visible
   * for the redrive. (A DLQ has no redrive policy of its own, so the receive does not move them.)
   */
  async peek(max: number): Promise<DeadLetter[]> {
    const { Messages } = await this.client.send(
      new ReceiveMessageCommand({
        QueueUrl: await this.url(),
        MaxNumberOfMessages: Math.min(Math.max(max, 1), 10),
        VisibilityTimeout: 0,
        MessageSystemAttributeNames: ['ApproximateReceiveCount', 'SentTimestamp'],
      }),
    );
    return (Messages ?? []).map((message) => ({
      messageId: message.MessageId ?? '',
      body: message.Body ?? '',
      receiveCount: Number(message.Attributes?.ApproximateReceiveCount ?? 0),
      sentAt: new Date(Number(message.Attributes?.SentTimestamp ?? 0)),
    }));
  }

  /** Moves every message back to the queue it was dead-lettered from; returns the move task's handle. */
  async redrive(): Promise<string> {
    const { TaskHandle } = await this.client.send(new StartMessageMoveTaskCommand({ SourceArn: this.arn }));
    return TaskHandle ?? '';
  }

  /** The most recent move tasks of this DLQ, newest first. */
  async moveTasks(): Promise<MoveTask[]> {
    const { Results } = await this.client.send(
      new ListMessageMoveTasksCommand({ SourceArn: this.arn, MaxResults: 5 }),
    );
    return (Results ?? []).map((task) => ({
      status: task.Status ?? 'UNKNOWN',
      moved: task.ApproximateNumberOfMessagesMoved ?? 0,
      toMove: task.ApproximateNumberOfMessagesToMove,
      startedAt: task.StartedTimestamp === undefined ? undefined : new Date(task.StartedTimestamp),
      failureReason: task.FailureReason,
    }));
  }
}
