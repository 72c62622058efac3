/**
 * The upload queue as functions outside the VPC write it (docs/worker.md, "Re-enqueueing"): one message per
 * upload, in the S3 notification shape the worker reads (#core/upload-notification), sent in batches of up to
 * ten (SendMessageBatch, allowed by sqs:SendMessage). The local stack answers the same calls
 * (infra/local/sqs-endpoint.ts).
 */
import { SendMessageBatchCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { Clock, QueuedUpload, UploadQueue } from '#core/ports';
import { UploadsNotQueuedError } from '#core/platform-errors';
import { uploadNotificationBody } from '#core/upload-notification';

/** SQS's limit of entries per SendMessageBatch. */
const BATCH_ENTRIES = 10;

export class SqsUploadQueue implements UploadQueue {
  constructor(
    private readonly client: SQSClient,
    private readonly config: { queueUrl: string; bucket: string; clock: Clock },
  ) {}

  async send(uploads: readonly QueuedUpload[]): Promise<void> {
    const notQueued: number[] = [];
    const causes: unknown[] = [];
    for (let start = 0; start < uploads.length; start += BATCH_ENTRIES) {
      const batch = uploads.slice(start, start + BATCH_ENTRIES);
      try {
        const refused = await this.sendBatch(batch);
        notQueued.push(...refused.map(({ taskId }) => taskId));
        causes.push(...refused.map(({ reason }) => new Error(reason)));
      } catch (error) {
        // One batch refused whole (throttled, unreachable): the others are still worth sending.
        notQueued.push(...batch.map((upload) => upload.taskId));
        causes.push(error);
      }
    }
    if (notQueued.length > 0)
      throw new UploadsNotQueuedError(notQueued, { cause: new AggregateError(causes, 'SQS refused them') });
  }

  /** The entries SQS did not accept, with its reason. */
  private async sendBatch(batch: readonly QueuedUpload[]): Promise<{ taskId: number; reason: string }[]> {
    const at = this.config.clock.now();
    const { Failed } = await this.client.send(
      new SendMessageBatchCommand({
        QueueUrl: this.config.queueUrl,
        Entries: batch.map((upload, index) => ({
          Id: String(index),
          MessageBody: uploadNotificationBody(upload, { bucket: this.config.bucket, at }),
        })),
      }),
    );
    return (Failed ?? []).flatMap((failure) => {
      const upload = batch[Number(failure.Id)];
      return upload === undefined
        ? []
        : [{ taskId: upload.taskId, reason: `${failure.Code ?? 'Failed'}: ${failure.Message ?? ''}` }];
    });
  }
}
