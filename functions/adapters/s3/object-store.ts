import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { Readable } from 'node:stream';
import {
  CopyObjectCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  PutObjectCommand,
  S3ServiceException,
  type S3Client,
} from '@aws-sdk/client-s3';
import { createPresignedPost } from '@aws-sdk/s3-presigned-post';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import {
  systemClock,
  type ByteRange,
  type Clock,
  type ObjectRange,
  type ObjectStore,
  type ObjectVersion,
  type PresignedUpload,
} from '#core/ports';
import { ObjectChangedError } from '#core/processing-errors';
import { TRACE_METADATA_KEY } from '#core/object-keys';

/** S3 signs presigned requests for at most 7 days; the upload TTL is capped far lower in config. */
export const MAX_PRESIGN_SECONDS = 604_800;

/**
 * RFC 6266 Content-Disposition with an ASCII fallback and the exact UTF-8 name: the browser saves
 * the file under the pilot's own name although the key is server-chosen.
 */
export function contentDisposition(fileName: string): string {
  const fallback = fileName.replace(/[^\x20-\x7e]|["\\%]/g, '_');
  return `attachment; filename="${fallback}"; filename*=UTF-8''${encodeURIComponent(fileName).replace(/['()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)}`;
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

/**
 * Download URLs are signed as of the start of the current window and live that much longer, so every
 * request inside one window gets the very same URL. Signing costs ~0.3 ms of CPU per URL and a gallery
 * page carries 48 of them; a warm function signs each once per window instead. Identical URLs also let
 * browsers reuse the thumbnails and video bytes they already fetched.
 */
export const DOWNLOAD_SIGNING_WINDOW_SECONDS = 300;
/** Bounds the memory of one window's URLs (a gallery page is 48; a burst of pilots' pages adds a few each). */
const MAX_REMEMBERED_URLS = 10_000;

/** The ObjectStore port over one bucket. Presigning is local computation: no network call. */
export class S3ObjectStore implements ObjectStore {
  private signedWindow = 0;
  private readonly signedUrls = new Map<string, string>();

  constructor(
    private readonly client: S3Client,
    private readonly bucket: string,
    private readonly clock: Clock = systemClock,
    /** The trace header an upload's object keeps in its metadata (functions/commons/tracing.ts). @default none */
    private readonly traceHeader: () => string | undefined = () => undefined,
  ) {}

  async presignUpload(input: {
    key: string;
    contentType: string;
    maxBytes: number;
    expiresInSeconds: number;
  }): Promise<PresignedUpload> {
    // createPresignedPost adds the exact bucket and key conditions itself, and one exact condition per
    // field; the policy pins the content type and the trace metadata, and caps the size, which a
    // presigned PUT cannot do.
    const trace = this.traceHeader();
    const { url, fields } = await createPresignedPost(this.client, {
      Bucket: this.bucket,
      Key: input.key,
      Conditions: [
        ['eq', '$Content-Type', input.contentType],
        ['content-length-range', 1, input.maxBytes],
      ],
      Fields: {
        'Content-Type': input.contentType,
        ...(trace === undefined ? {} : { [`x-amz-meta-${TRACE_METADATA_KEY}`]: trace }),
      },
      Expires: Math.min(input.expiresInSeconds, MAX_PRESIGN_SECONDS),
    });
    return { url, fields, expiresAt: policyExpiration(fields), maxBytes: input.maxBytes };
  }

  /** The URL stays valid for at least `expiresInSeconds` from now (within S3's 7-day cap). */
  async presignDownload(input: {
    key: string;
    versionId?: string;
    expiresInSeconds: number;
    downloadFileName?: string;
  }): Promise<string> {
    const windowMs = DOWNLOAD_SIGNING_WINDOW_SECONDS * 1000;
    const windowStart = Math.floor(this.clock.now().getTime() / windowMs) * windowMs;
    if (windowStart !== this.signedWindow || this.signedUrls.size >= MAX_REMEMBERED_URLS) {
      this.signedUrls.clear();
      this.signedWindow = windowStart;
    }
    const disposition =
      input.downloadFileName === undefined ? undefined : contentDisposition(input.downloadFileName);
    const expiresIn = Math.min(input.expiresInSeconds + DOWNLOAD_SIGNING_WINDOW_SECONDS, MAX_PRESIGN_SECONDS);
    // Rotated credentials sign anew: a URL dies with the credentials that signed it.
    const { accessKeyId } = await this.client.config.credentials();
    const memoKey = JSON.stringify([
      accessKeyId,
      input.key,
      input.versionId ?? null,
      disposition ?? null,
      expiresIn,
    ]);
    const remembered = this.signedUrls.get(memoKey);
    if (remembered !== undefined) return remembered;
    const command = new GetObjectCommand({
      Bucket: this.bucket,
      Key: input.key,
      VersionId: input.versionId,
      ResponseContentDisposition: disposition,
    });
    const url = await getSignedUrl(this.client, command, { expiresIn, signingDate: new Date(windowStart) });
    this.signedUrls.set(memoKey, url);
    return url;
  }

  async stat(key: string, versionId?: string): Promise<ObjectVersion | null> {
    try {
      const output = await this.client.send(
        new HeadObjectCommand({ Bucket: this.bucket, Key: key, VersionId: versionId }),
      );
      if (output.ETag === undefined) throw new Error(`HeadObject ${key} returned no ETag`);
      const traceHeader = output.Metadata?.[TRACE_METADATA_KEY];
      return {
        sizeBytes: output.ContentLength ?? 0,
        eTag: output.ETag,
        ...(traceHeader === undefined ? {} : { traceHeader }),
        ...(output.VersionId === undefined ? {} : { versionId: output.VersionId }),
      };
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

  async deleteVersion(key: string, versionId: string): Promise<void> {
    // S3 answers 204 for a version that is already gone, so a repeated delete is harmless.
    await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: key, VersionId: versionId }));
  }

  async copyVersion(input: { sourceKey: string; versionId: string; key: string }): Promise<void> {
    // x-amz-copy-source is the URL-encoded bucket/key with the version as its query.
    const source = `${this.bucket}/${encodeURIComponent(input.sourceKey).replaceAll('%2F', '/')}`;
    await this.client.send(
      new CopyObjectCommand({
        Bucket: this.bucket,
        Key: input.key,
        CopySource: `${source}?versionId=${encodeURIComponent(input.versionId)}`,
      }),
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
    options: { signal?: AbortSignal; ifMatch?: string; versionId?: string } = {},
  ): Promise<ObjectRange> {
    const output = await this.client
      .send(
        new GetObjectCommand({
          Bucket: this.bucket,
          Key: key,
          Range: range === undefined ? undefined : `bytes=${range.start}-${range.end ?? ''}`,
          IfMatch: options.ifMatch,
          VersionId: options.versionId,
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
