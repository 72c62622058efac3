import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { Readable } from 'node:stream';
import {
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  PutObjectCommand,
  S3ServiceException,
  type S3Client,
} from '@aws-sdk/client-s3';
import { createPresignedPost } from '@aws-sdk/s3-presigned-post';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import type { ByteRange, ObjectRange, ObjectStore, ObjectVersion, PresignedUpload } from '#core/ports';
import { ObjectChangedError } from '#core/processing-errors';

/** S3 signs presigned requests for at most 7 days; the upload TTL is capped far lower in config. */
const MAX_PRESIGN_SECONDS = 604_800;

/**
 * RFC 6266 Content-Disposition with an ASCII fallback and the exact UTF-8 name: the browser saves
 * the file under the pilot's own name although the key is server-chosen.
 */
export function contentDisposition(fileName: string): string {
  const fallback = fileName.replace(/[^\x20-\x7e]|["\\%]/g, '_');
  return `inline; filename="${fallback}"; filename*=UTF-8''${encodeURIComponent(fileName).replace(/['()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)}`;
}

/** The policy's own expiration (whole seconds) is the one S3 enforces, so clients are told exactly that. */
function policyExpiration(fields: Record<string, string>): Date {
  const policy = JSON.parse(Buffer.from(fields.Policy ?? '', 'base64').toString('utf8')) as {
    expiration?: string;
  };
  if (policy.expiration === undefined) throw new Error('Presigned POST policy without expiration');
  return new Date(policy.expiration);
}

function isNotFound(error: unknown): boolean {
  return (
    error instanceof S3ServiceException &&
    (error.name === 'NotFound' || error.name === 'NoSuchKey' || error.$metadata.httpStatusCode === 404)
  );
}

function isPreconditionFailed(error: unknown): boolean {
  return (
    error instanceof S3ServiceException &&
    (error.name === 'PreconditionFailed' || error.$metadata.httpStatusCode === 412)
  );
}

/** The total in a `bytes 0-99/1000` Content-Range; undefined when absent or unknown (`*`). */
function totalOf(contentRange: string | undefined): number | undefined {
  const total = contentRange?.match(/\/(\d+)$/)?.[1];
  return total === undefined ? undefined : Number(total);
}

/** The ObjectStore port over one bucket. Presigning is local computation: no network call. */
export class S3ObjectStore implements ObjectStore {
  constructor(
    private readonly client: S3Client,
    private readonly bucket: string,
  ) {}

  async presignUpload(input: {
    key: string;
    contentType: string;
    maxBytes: number;
    expiresInSeconds: number;
  }): Promise<PresignedUpload> {
    // createPresignedPost adds the exact bucket and key conditions itself; the policy pins the
    // content type and caps the size, which a presigned PUT cannot do.
    const { url, fields } = await createPresignedPost(this.client, {
      Bucket: this.bucket,
      Key: input.key,
      Conditions: [
        ['eq', '$Content-Type', input.contentType],
        ['content-length-range', 1, input.maxBytes],
      ],
      Fields: { 'Content-Type': input.contentType },
      Expires: Math.min(input.expiresInSeconds, MAX_PRESIGN_SECONDS),
    });
    return { url, fields, expiresAt: policyExpiration(fields), maxBytes: input.maxBytes };
  }

  presignDownload(input: {
    key: string;
    expiresInSeconds: number;
    downloadFileName?: string;
  }): Promise<string> {
    const command = new GetObjectCommand({
      Bucket: this.bucket,
      Key: input.key,
      ResponseContentDisposition:
        input.downloadFileName === undefined ? undefined : contentDisposition(input.downloadFileName),
    });
    return getSignedUrl(this.client, command, {
      expiresIn: Math.min(input.expiresInSeconds, MAX_PRESIGN_SECONDS),
    });
  }

  async stat(key: string): Promise<ObjectVersion | null> {
    try {
      const output = await this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: key }));
      if (output.ETag === undefined) throw new Error(`HeadObject ${key} returned no ETag`);
      return { sizeBytes: output.ContentLength ?? 0, eTag: output.ETag };
    } catch (error) {
      if (isNotFound(error)) return null;
      throw error;
    }
  }

  async deleteMany(keys: string[]): Promise<void> {
    // A task owns at most three objects: single deletes need no Content-MD5 (which DeleteObjects
    // requires) and deleting a missing key succeeds, so repeating a delete is harmless.
    await Promise.all(
      [...new Set(keys)].map((key) =>
        this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: key })),
      ),
    );
  }

  async putFile(input: { key: string; path: string; contentType: string }): Promise<void> {
    const { size } = await stat(input.path);
    await this.client.send(
      new PutObjectCommand({
        Bucket: this.bucket,
        Key: input.key,
        Body: createReadStream(input.path),
        ContentLength: size,
        ContentType: input.contentType,
      }),
    );
  }

  async putEmpty(key: string): Promise<void> {
    await this.client.send(
      new PutObjectCommand({ Bucket: this.bucket, Key: key, Body: '', ContentLength: 0 }),
    );
  }

  async readRange(
    key: string,
    range?: ByteRange,
    options: { signal?: AbortSignal; ifMatch?: string } = {},
  ): Promise<ObjectRange> {
    const output = await this.client
      .send(
        new GetObjectCommand({
          Bucket: this.bucket,
          Key: key,
          Range: range === undefined ? undefined : `bytes=${range.start}-${range.end ?? ''}`,
          IfMatch: options.ifMatch,
        }),
        { abortSignal: options.signal },
      )
      .catch((error: unknown) => {
        throw isPreconditionFailed(error) ? new ObjectChangedError(key, { cause: error }) : error;
      });
    if (!(output.Body instanceof Readable)) throw new Error(`GetObject ${key} returned no stream body`);
    const contentLength = output.ContentLength ?? 0;
    return {
      body: output.Body,
      contentLength,
      contentRange: output.ContentRange,
      totalBytes: totalOf(output.ContentRange) ?? contentLength,
    };
  }
}
