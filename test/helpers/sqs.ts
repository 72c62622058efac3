/** SQS events as the event source mapping hands them to the worker: one record per message. */
import { createHash, randomUUID } from 'node:crypto';
import type { SQSEvent } from 'aws-lambda';

export function sqsEvent(
  body: string,
  options: { receiveCount?: number; messageId?: string } = {},
): SQSEvent {
  const sent = String(Date.now());
  return {
    Records: [
      {
        messageId: options.messageId ?? randomUUID(),
        receiptHandle: randomUUID(),
        body,
        attributes: {
          ApproximateReceiveCount: String(options.receiveCount ?? 1),
          SentTimestamp: sent,
          SenderId: 'S3',
          ApproximateFirstReceiveTimestamp: sent,
        },
        messageAttributes: {},
        md5OfBody: createHash('md5').update(body).digest('hex'),
        eventSource: 'aws:sqs',
        eventSourceARN: 'arn:aws:sqs:us-east-1:000000000000:uploads',
        awsRegion: 'us-east-1',
      },
    ],
  };
}
