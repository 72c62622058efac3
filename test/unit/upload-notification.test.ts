import { describe, expect, it } from 'vitest';
import { MalformedNotificationError } from '#core/processing-errors';
import { parseUploadNotification, uploadNotificationBody } from '#core/upload-notification';

function s3Event(records: { eventName: string; key: string; size?: number }[]): string {
  return JSON.stringify({
    Records: records.map(({ eventName, key, size }) => ({
      eventVersion: '2.1',
      eventSource: 'aws:s3',
      eventName,
      s3: { s3SchemaVersion: '1.0', bucket: { name: 'idrl-videos' }, object: { key, size, eTag: 'abc' } },
    })),
  });
}

describe('parseUploadNotification', () => {
  it('returns each created object with its URL-decoded key and size', () => {
    // Prepare
    const body = s3Event([
      { eventName: 'ObjectCreated:Post', key: 'uploads/7/a%2Bb+c%C3%A9', size: 1234 },
      { eventName: 'ObjectCreated:CompleteMultipartUpload', key: 'uploads/8/nonce', size: 99 },
    ]);

    // Act
    const notification = parseUploadNotification(body);

    // Assess
    expect(notification).toEqual({
      kind: 'objects',
      objects: [
        { key: 'uploads/7/a+b cé', sizeBytes: 1234 },
        { key: 'uploads/8/nonce', sizeBytes: 99 },
      ],
    });
  });

  it('recognises the s3:TestEvent S3 sends when the notification is configured', () => {
    // Prepare
    const body = JSON.stringify({
      Service: 'Amazon S3',
      Event: 's3:TestEvent',
      Time: '2026-03-01T12:00:00.000Z',
      Bucket: 'idrl-videos',
    });

    // Act
    const notification = parseUploadNotification(body);

    // Assess
    expect(notification).toEqual({ kind: 'test' });
  });

  it('skips records that are not object creations', () => {
    // Act
    const notification = parseUploadNotification(
      s3Event([{ eventName: 'ObjectRemoved:Delete', key: 'uploads/7/nonce' }]),
    );

    // Assess
    expect(notification).toEqual({ kind: 'objects', objects: [] });
  });

  it.each([
    ['a body that is not JSON', 'not json', 'Message body is not JSON'],
    // zod's English issue text (#core/zod sets the locale zod/mini lacks), not a bare "Invalid input".
    [
      'JSON without Records',
      '{"hello":"world"}',
      /^Message body is not an S3 event notification: .*"Invalid input: expected array, received undefined"/s,
    ],
    [
      'a key that is not valid URL encoding',
      s3Event([{ eventName: 'ObjectCreated:Put', key: 'uploads/1/%E0%A4%A' }]),
      'Object key is not valid URL encoding',
    ],
  ])('rejects %s with MalformedNotificationError', (_name, body, message) => {
    // Act
    const parse = () => parseUploadNotification(body);

    // Assess
    expect(parse).toThrow(MalformedNotificationError);
    expect(parse).toThrow(message);
  });
});

describe('uploadNotificationBody', () => {
  it('is an S3 ObjectCreated notification the worker reads back as the same object', () => {
    // Prepare
    const upload = { key: 'uploads/7/a+b c%é', sizeBytes: 1234 };

    // Act
    const body = uploadNotificationBody(upload, {
      bucket: 'idrl-videos',
      at: new Date('2026-03-01T12:00:00Z'),
    });

    // Assess
    expect(JSON.parse(body)).toEqual({
      Records: [
        {
          eventVersion: '2.1',
          eventSource: 'idrl:requeue',
          eventTime: '2026-03-01T12:00:00.000Z',
          eventName: 'ObjectCreated:Put',
          s3: {
            s3SchemaVersion: '1.0',
            bucket: { name: 'idrl-videos' },
            object: { key: 'uploads/7/a%2Bb+c%25%C3%A9', size: 1234 },
          },
        },
      ],
    });
    expect(parseUploadNotification(body)).toEqual({ kind: 'objects', objects: [upload] });
  });
});
