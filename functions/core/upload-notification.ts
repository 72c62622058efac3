/**
 * The upload queue's message: an S3 ObjectCreated notification, parsed by the worker, and built by the
 * functions that put an upload back on the queue with SQS SendMessage (the sweeper, the retry route), so
 * the worker has one message shape to accept (docs/worker.md, "Re-enqueueing"). Pure.
 */
import * as z from './zod';
import type { UploadedObject } from './upload-processing';
import { MalformedNotificationError } from './processing-errors';

const testEventSchema = z.object({ Event: z.literal('s3:TestEvent') });

const eventSchema = z.object({
  Records: z.array(
    z.object({
      eventName: z.string(),
      s3: z.object({
        object: z.object({
          key: z.string(),
          size: z.optional(z.int().check(z.nonnegative())),
          // Present when the bucket is versioned (docs/worker.md, "Single-use uploads").
          versionId: z.optional(z.string().check(z.minLength(1))),
        }),
      }),
    }),
  ),
});

export type UploadNotification = { kind: 'test' } | { kind: 'objects'; objects: UploadedObject[] };

/** S3 URL-encodes keys in notifications, with '+' for a space. */
export function decodeNotificationKey(key: string): string {
  return decodeURIComponent(key.replace(/\+/g, ' '));
}

/** The inverse of {@link decodeNotificationKey}, as S3 encodes: '/' kept, a space as '+'. */
function encodeNotificationKey(key: string): string {
  return encodeURIComponent(key).replaceAll('%2F', '/').replaceAll('%20', '+');
}

/**
 * The message that queues an upload again: one ObjectCreated record, as S3 would send for the object, marked
 * as ours by its event source so a reader of the queue (or the DLQ) can tell it from S3's own.
 */
export function uploadNotificationBody(upload: UploadedObject, input: { bucket: string; at: Date }): string {
  return JSON.stringify({
    Records: [
      {
        eventVersion: '2.1',
        eventSource: 'idrl:requeue',
        eventTime: input.at.toISOString(),
        eventName: 'ObjectCreated:Put',
        s3: {
          s3SchemaVersion: '1.0',
          bucket: { name: input.bucket },
          object: {
            key: encodeNotificationKey(upload.key),
            size: upload.sizeBytes,
            ...(upload.versionId === undefined ? {} : { versionId: upload.versionId }),
          },
        },
      },
    ],
  });
}

export function parseUploadNotification(body: string): UploadNotification {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch (error) {
    throw new MalformedNotificationError('Message body is not JSON', { cause: error });
  }
  // S3 sends one s3:TestEvent when a notification configuration is saved.
  if (testEventSchema.safeParse(json).success) return { kind: 'test' };
  const parsed = eventSchema.safeParse(json);
  if (!parsed.success)
    throw new MalformedNotificationError(
      `Message body is not an S3 event notification: ${parsed.error.message}`,
    );
  try {
    return {
      kind: 'objects',
      objects: parsed.data.Records.filter((record) => record.eventName.startsWith('ObjectCreated:')).map(
        (record) => ({
          key: decodeNotificationKey(record.s3.object.key),
          sizeBytes: record.s3.object.size ?? 0,
          ...(record.s3.object.versionId === undefined ? {} : { versionId: record.s3.object.versionId }),
        }),
      ),
    };
  } catch (error) {
    throw new MalformedNotificationError('Object key is not valid URL encoding', { cause: error });
  }
}
