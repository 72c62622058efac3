/**
 * The body of an SQS message from an S3 bucket notification, parsed. Pure.
 */
import * as z from '#core/zod';
import type { UploadedObject } from '#core/upload-processing';
import { MalformedNotificationError } from '#core/processing-errors';

const testEventSchema = z.object({ Event: z.literal('s3:TestEvent') });

const eventSchema = z.object({
  Records: z.array(
    z.object({
      eventName: z.string(),
      s3: z.object({
        object: z.object({ key: z.string(), size: z.optional(z.int().check(z.nonnegative())) }),
      }),
    }),
  ),
});

export type UploadNotification = { kind: 'test' } | { kind: 'objects'; objects: UploadedObject[] };

/** S3 URL-encodes keys in notifications, with '+' for a space. */
export function decodeNotificationKey(key: string): string {
  return decodeURIComponent(key.replace(/\+/g, ' '));
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
        }),
      ),
    };
  } catch (error) {
    throw new MalformedNotificationError('Object key is not valid URL encoding', { cause: error });
  }
}
