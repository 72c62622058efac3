import { describe, expect, it } from 'vitest';
import { ApiError, NetworkError, SessionExpiredError } from '#web/src/api';
import { describeError, formatBytes } from '#web/src/messages';
import { FileRejectedError, s3ErrorCode, StorageUploadError } from '#web/src/upload';
import { rejectFile, videoContentType } from '#web/src/views/upload-panel';

describe('s3ErrorCode', () => {
  it('reads the code of an S3 XML error', () => {
    expect(
      s3ErrorCode(
        '<?xml version="1.0"?><Error><Code>EntityTooLarge</Code><Message>Too big</Message></Error>',
      ),
    ).toBe('EntityTooLarge');
  });

  it('gives null for a body that is not an S3 error', () => {
    expect(s3ErrorCode('')).toBeNull();
  });
});

describe('videoContentType', () => {
  it.each([
    [{ name: 'race.mp4', type: 'video/mp4' }, 'video/mp4'],
    [{ name: 'race.mkv', type: '' }, 'video/x-matroska'],
    [{ name: 'race.bin', type: '' }, 'application/octet-stream'],
    [{ name: 'photo.png', type: 'image/png' }, null],
  ])('declares %j as %j', (file, expected) => {
    expect(videoContentType(file)).toBe(expected);
  });
});

describe('rejectFile', () => {
  it('accepts a video of any size: the limit is the API’s to say (413)', () => {
    expect(rejectFile({ name: 'race.mp4', type: 'video/mp4', size: 600 * 1024 ** 2 })).toBeNull();
  });

  it('rejects a file the browser knows is not a video', () => {
    expect(rejectFile({ name: 'notes.txt', type: 'text/plain', size: 10 })).toBe(
      'notes.txt is not a video file. Choose an MP4, MOV, MKV, WebM or AVI video.',
    );
  });

  it('rejects an empty file', () => {
    expect(rejectFile({ name: 'race.mp4', type: 'video/mp4', size: 0 })).toBe('race.mp4 is empty.');
  });
});

describe('describeError', () => {
  it.each<[string, unknown, string]>([
    ['a validation message from the API', new ApiError(400, 'Validation failed'), 'Validation failed'],
    ['a 401 without message', new ApiError(401, ''), 'Please log in.'],
    ['a 404 without message', new ApiError(404, ''), 'This video does not exist any more.'],
    ['a 409 without message', new ApiError(409, ''), 'That conflicts with something that already exists.'],
    [
      'a 413 from the API',
      new ApiError(413, 'File is larger than 524288000 bytes'),
      'File is larger than 524288000 bytes',
    ],
    [
      'a 500, whatever its message',
      new ApiError(500, 'Internal server error'),
      'The service had a problem. Try again in a moment.',
    ],
    ['an expired session', new SessionExpiredError(), 'Your session has expired. Please log in again.'],
    [
      'a network failure',
      new NetworkError(),
      'Cannot reach the service. Check your connection and try again.',
    ],
    [
      'storage out of reach',
      new StorageUploadError(0, null, 'x'),
      'The upload could not reach storage. Check your connection and try again.',
    ],
    [
      'storage refusing a too large file',
      new StorageUploadError(400, 'EntityTooLarge', 'x'),
      'The file is larger than the upload allows.',
    ],
    [
      'storage refusing an expired policy',
      new StorageUploadError(403, 'AccessDenied', 'x'),
      'Storage refused the upload: the upload link has expired or does not match this file. Try again.',
    ],
    [
      'storage failing without code',
      new StorageUploadError(503, null, 'Storage refused the upload (HTTP 503).'),
      'Storage refused the upload (HTTP 503). Try again.',
    ],
    ['a file the console declined', new FileRejectedError('race.mp4 is empty.'), 'race.mp4 is empty.'],
    [
      'a bug in the console',
      new RangeError('oops'),
      'Something went wrong in the console. Reload the page and try again.',
    ],
  ])('explains %s', (_case, error, message) => {
    expect(describeError(error)).toBe(message);
  });
});

describe('formatBytes', () => {
  it.each([
    [0, '0 bytes'],
    [1, '1 byte'],
    [1023, '1023 bytes'],
    [1024, '1 KiB'],
    [999_999, '976.6 KiB'],
    [1_000_000, '976.6 KiB'],
    // Rounded to 1024.0 KiB, which is the next unit's 1.
    [1_048_575, '1 MiB'],
    [1_563_120, '1.5 MiB'],
    // The file: a binary number must not carry the decimal unit's name ("143.1 MB").
    [150_000_000, '143.1 MiB'],
    [524_288_000, '500 MiB'],
    [1_000_000_000, '953.7 MiB'],
    [1_073_741_824, '1 GiB'],
    [2_147_483_648, '2 GiB'],
  ])('formats %d bytes as %s', (bytes, text) => {
    expect(formatBytes(bytes)).toBe(text);
  });
});
