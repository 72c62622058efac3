/**
 * The views queue as the record-view route writes it (#core/views): one SendMessage per reported play. The local
 * stack answers the same call (infra/local/sqs-endpoint.ts).
 */
import { SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { PlayedView, ViewQueue } from '#core/ports';

export class SqsViewQueue implements ViewQueue {
  constructor(
    private readonly client: SQSClient,
    private readonly queueUrl: string,
  ) {}

  async send(view: PlayedView): Promise<void> {
    await this.client.send(
      new SendMessageCommand({ QueueUrl: this.queueUrl, MessageBody: JSON.stringify(view) }),
    );
  }
}
