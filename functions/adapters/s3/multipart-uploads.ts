/**
 * The MultipartUploads port on S3: the API creates, signs, lists, completes and aborts uploads into
 * the task's own key; the client only PUTs bytes to the part URLs (docs/api.md, "Resumable upload").
 */
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  ListMultipartUploadsCommand,
  ListPartsCommand,
  S3ServiceException,
  UploadPartCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import type { MultipartUploads, PartSigning, PendingMultipartUpload, StoredPart } from '#core/ports';
import { TRACE_METADATA_KEY } from '#core/object-keys';
import { MAX_PRESIGN_SECONDS } from './object-store';

function isNoSuchUpload(error: unknown): boolean {
  return (
    error instanceof S3ServiceException &&
    (error.name === 'NoSuchUpload' || error.$metadata.httpStatusCode === 404)
  );
}

export class S3MultipartUploads implements MultipartUploads {
  constructor(
    private readonly client: S3Client,
    private readonly bucket: string,
    /** The trace header the upload's object keeps in its metadata (functions/commons/tracing.ts). @default none */
    private readonly traceHeader: () => string | undefined = () => undefined,
  ) {}

  async createMultipartUpload(input: { key: string; contentType: string }): Promise<string> {
    const trace = this.traceHeader();
    const output = await this.client.send(
      new CreateMultipartUploadCommand({
        Bucket: this.bucket,
        Key: input.key,
        ContentType: input.contentType,
        ...(trace === undefined ? {} : { Metadata: { [TRACE_METADATA_KEY]: trace } }),
      }),
    );
    if (output.UploadId === undefined)
      throw new Error(`CreateMultipartUpload ${input.key} returned no UploadId`);
    return output.UploadId;
  }

  presignUploadPart(input: PartSigning): Promise<string> {
    const command = new UploadPartCommand({
      Bucket: this.bucket,
      Key: input.key,
      UploadId: input.uploadId,
      PartNumber: input.partNumber,
      ContentLength: input.contentLength,
    });
    // content-length is signed (X-Amz-SignedHeaders), so S3 refuses a part of any other size.
    return getSignedUrl(this.client, command, {
      expiresIn: Math.min(input.expiresInSeconds, MAX_PRESIGN_SECONDS),
      signableHeaders: new Set(['content-length']),
    });
  }

  async listParts(input: { key: string; uploadId: string }): Promise<StoredPart[] | null> {
    const parts: StoredPart[] = [];
    let marker: string | undefined;
    try {
      do {
        const output = await this.client.send(
          new ListPartsCommand({
            Bucket: this.bucket,
            Key: input.key,
            UploadId: input.uploadId,
            PartNumberMarker: marker,
          }),
        );
        for (const part of output.Parts ?? []) {
          parts.push({ partNumber: part.PartNumber ?? 0, sizeBytes: part.Size ?? 0, etag: part.ETag ?? '' });
        }
        marker = output.IsTruncated === true ? output.NextPartNumberMarker : undefined;
      } while (marker !== undefined);
    } catch (error) {
      if (isNoSuchUpload(error)) return null;
      throw error;
    }
    return parts.sort((a, b) => a.partNumber - b.partNumber);
  }

  async completeMultipartUpload(input: {
    key: string;
    uploadId: string;
    parts: readonly StoredPart[];
  }): Promise<{ versionId?: string }> {
    const output = await this.client.send(
      new CompleteMultipartUploadCommand({
        Bucket: this.bucket,
        Key: input.key,
        UploadId: input.uploadId,
        MultipartUpload: {
          Parts: input.parts.map((part) => ({ PartNumber: part.partNumber, ETag: part.etag })),
        },
      }),
    );
    return output.VersionId === undefined ? {} : { versionId: output.VersionId };
  }

  async abortMultipartUpload(input: { key: string; uploadId: string }): Promise<void> {
    try {
      await this.client.send(
        new AbortMultipartUploadCommand({ Bucket: this.bucket, Key: input.key, UploadId: input.uploadId }),
      );
    } catch (error) {
      if (!isNoSuchUpload(error)) throw error;
    }
  }

  async listMultipartUploads(prefix: string): Promise<PendingMultipartUpload[]> {
    const uploads: PendingMultipartUpload[] = [];
    let keyMarker: string | undefined;
    let uploadIdMarker: string | undefined;
    do {
      const output = await this.client.send(
        new ListMultipartUploadsCommand({
          Bucket: this.bucket,
          Prefix: prefix,
          KeyMarker: keyMarker,
          UploadIdMarker: uploadIdMarker,
        }),
      );
      for (const upload of output.Uploads ?? []) {
        if (upload.Key === undefined || upload.UploadId === undefined) continue;
        uploads.push({
          key: upload.Key,
          uploadId: upload.UploadId,
          initiatedAt: upload.Initiated ?? new Date(0),
        });
      }
      const truncated = output.IsTruncated === true;
      keyMarker = truncated ? output.NextKeyMarker : undefined;
      uploadIdMarker = truncated ? output.NextUploadIdMarker : undefined;
    } while (keyMarker !== undefined);
    return uploads;
  }
}
