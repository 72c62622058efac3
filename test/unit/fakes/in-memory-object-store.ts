import { Readable } from 'node:stream';
import type {
  ByteRange,
  MultipartUploads,
  ObjectRange,
  ObjectStore,
  ObjectVersion,
  PartSigning,
  PendingMultipartUpload,
  PresignedUpload,
  StoredPart,
} from '#core/ports';
import { ObjectChangedError } from '#core/processing-errors';

/** Byte `offset` of every fake object: a position-dependent pattern, so a wrong range shows. */
export function fakeObjectByte(offset: number): number {
  return offset % 251;
}

/** Bytes `start` to `end` (exclusive) of a fake object. */
export function fakeObjectBytes(start: number, end: number): Buffer {
  const bytes = Buffer.alloc(end - start);
  for (let index = 0; index < bytes.length; index++) bytes[index] = fakeObjectByte(start + index);
  return bytes;
}

interface StoredVersion {
  versionId: string;
  size: number;
  eTag: string;
}

/**
 * The ObjectStore port in memory: objects are sizes (their bytes follow fakeObjectByte), presigned
 * URLs are readable fakes that record their inputs.
 */
export class InMemoryObjectStore implements ObjectStore, MultipartUploads {
  readonly objects = new Map<string, number>();
  /** Entity tags of objects replaced with `overwrite`; any other object's is "1". */
  readonly eTags = new Map<string, string>();
  /**
   * Every stored version of a key posted with `upload`, oldest first (a versioned bucket); `objects` holds the
   * current one's size. Keys set directly in `objects` have no version, as in an unversioned bucket.
   */
  readonly versions = new Map<string, StoredVersion[]>();
  /** The current version id of each key posted with `upload` (none after a delete of the key). */
  private readonly currentVersions = new Map<string, string>();
  private nextVersion = 1;
  /** Keys whose next deleteMany call fails once (fault injection). */
  readonly failNextDelete = new Set<string>();
  readonly uploads: { key: string; contentType: string; maxBytes: number; expiresInSeconds: number }[] = [];

  /** Unfinished multipart uploads by id: the key, content type and stored parts (the test stores them). */
  readonly multipart = new Map<
    string,
    { key: string; contentType: string; initiatedAt: Date; parts: Map<number, number> }
  >();
  private nextUploadId = 1;

  constructor(private readonly now: () => Date = () => new Date()) {}

  createMultipartUpload(input: { key: string; contentType: string }): Promise<string> {
    const uploadId = `upload-${this.nextUploadId++}`;
    this.multipart.set(uploadId, { ...input, initiatedAt: this.now(), parts: new Map() });
    return Promise.resolve(uploadId);
  }

  presignUploadPart(input: PartSigning): Promise<string> {
    const query = `uploadId=${input.uploadId}&partNumber=${input.partNumber}&length=${input.contentLength}`;
    return Promise.resolve(`https://bucket.example/${input.key}?${query}&ttl=${input.expiresInSeconds}`);
  }

  listParts(input: { key: string; uploadId: string }): Promise<StoredPart[] | null> {
    const upload = this.multipart.get(input.uploadId);
    if (upload?.key !== input.key) return Promise.resolve(null);
    const parts = [...upload.parts].map(([partNumber, sizeBytes]) => ({
      partNumber,
      sizeBytes,
      etag: `"etag-${partNumber}"`,
    }));
    return Promise.resolve(parts.sort((a, b) => a.partNumber - b.partNumber));
  }

  completeMultipartUpload(input: {
    key: string;
    uploadId: string;
    parts: readonly StoredPart[];
  }): Promise<{ versionId?: string }> {
    this.multipart.delete(input.uploadId);
    const versionId = this.upload(
      input.key,
      input.parts.reduce((sum, part) => sum + part.sizeBytes, 0),
    );
    return Promise.resolve({ versionId });
  }

  abortMultipartUpload(input: { key: string; uploadId: string }): Promise<void> {
    if (this.multipart.get(input.uploadId)?.key === input.key) this.multipart.delete(input.uploadId);
    return Promise.resolve();
  }

  listMultipartUploads(prefix: string): Promise<PendingMultipartUpload[]> {
    return Promise.resolve(
      [...this.multipart]
        .filter(([, upload]) => upload.key.startsWith(prefix))
        .map(([uploadId, upload]) => ({ key: upload.key, uploadId, initiatedAt: upload.initiatedAt })),
    );
  }

  presignUpload(input: {
    key: string;
    contentType: string;
    maxBytes: number;
    expiresInSeconds: number;
  }): Promise<PresignedUpload> {
    this.uploads.push(input);
    return Promise.resolve({
      url: 'https://bucket.example/',
      fields: { key: input.key, 'Content-Type': input.contentType },
      expiresAt: new Date(this.now().getTime() + input.expiresInSeconds * 1000),
      maxBytes: input.maxBytes,
    });
  }

  presignDownload(input: {
    key: string;
    versionId?: string;
    expiresInSeconds: number;
    downloadFileName?: string;
  }): Promise<string> {
    const name =
      input.downloadFileName === undefined ? '' : `&name=${encodeURIComponent(input.downloadFileName)}`;
    const version = input.versionId === undefined ? '' : `&versionId=${input.versionId}`;
    return Promise.resolve(
      `https://bucket.example/${input.key}?ttl=${input.expiresInSeconds}${version}${name}`,
    );
  }

  /** A second upload to the same key: a new version with a new entity tag. */
  overwrite(key: string, size: number): void {
    this.objects.set(key, size);
    this.eTags.set(key, `"${Number(JSON.parse(this.eTag(key))) + 1}"`);
  }

  /** A post to the key in a versioned bucket: a new current version; returns its id. */
  upload(key: string, size: number): string {
    if (this.objects.has(key)) this.overwrite(key, size);
    else this.objects.set(key, size);
    const versionId = `version-${this.nextVersion++}`;
    this.versions.set(key, [...(this.versions.get(key) ?? []), { versionId, size, eTag: this.eTag(key) }]);
    this.currentVersions.set(key, versionId);
    return versionId;
  }

  private eTag(key: string): string {
    return this.eTags.get(key) ?? '"1"';
  }

  private version(key: string, versionId: string): StoredVersion | undefined {
    return this.versions.get(key)?.find((version) => version.versionId === versionId);
  }

  stat(key: string, versionId?: string): Promise<ObjectVersion | null> {
    if (versionId !== undefined) {
      const version = this.version(key, versionId);
      return Promise.resolve(
        version === undefined ? null : { sizeBytes: version.size, eTag: version.eTag, versionId },
      );
    }
    const size = this.objects.get(key);
    const current = this.currentVersions.get(key);
    return Promise.resolve(
      size === undefined
        ? null
        : { sizeBytes: size, eTag: this.eTag(key), ...(current === undefined ? {} : { versionId: current }) },
    );
  }

  deleteMany(keys: string[]): Promise<void> {
    const failing = keys.find((key) => this.failNextDelete.delete(key));
    if (failing !== undefined) return Promise.reject(new Error(`Injected failure deleting ${failing}`));
    for (const key of keys) {
      // A delete marker: the versions stay, none is current.
      this.objects.delete(key);
      this.currentVersions.delete(key);
    }
    return Promise.resolve();
  }

  /** As S3 does: deleting the current version makes the newest remaining one current. */
  deleteVersion(key: string, versionId: string): Promise<void> {
    const remaining = (this.versions.get(key) ?? []).filter((version) => version.versionId !== versionId);
    this.versions.set(key, remaining);
    if (this.currentVersions.get(key) !== versionId) return Promise.resolve();
    const newest = remaining.at(-1);
    if (newest === undefined) {
      this.objects.delete(key);
      this.currentVersions.delete(key);
    } else {
      this.objects.set(key, newest.size);
      this.eTags.set(key, newest.eTag);
      this.currentVersions.set(key, newest.versionId);
    }
    return Promise.resolve();
  }

  /** The copies made with copyVersion, in order. */
  readonly copies: { sourceKey: string; versionId: string; key: string }[] = [];

  copyVersion(input: { sourceKey: string; versionId: string; key: string }): Promise<void> {
    const version = this.version(input.sourceKey, input.versionId);
    if (version === undefined)
      return Promise.reject(new Error(`No version ${input.versionId} of ${input.sourceKey}`));
    this.copies.push(input);
    this.objects.set(input.key, version.size);
    return Promise.resolve();
  }

  putEmpty(key: string): Promise<void> {
    this.objects.set(key, 0);
    return Promise.resolve();
  }

  putFile(input: { key: string; path: string; contentType: string }): Promise<void> {
    this.objects.set(input.key, input.path.length);
    return Promise.resolve();
  }

  readRange(
    key: string,
    range?: ByteRange,
    options: { signal?: AbortSignal; ifMatch?: string; versionId?: string } = {},
  ): Promise<ObjectRange> {
    if (options.signal?.aborted) return Promise.reject(new Error('The read was aborted'));
    const version = options.versionId === undefined ? undefined : this.version(key, options.versionId);
    if (options.versionId !== undefined && version === undefined)
      return Promise.reject(new Error(`No version ${options.versionId} of ${key}`));
    const size = version?.size ?? this.objects.get(key);
    if (size === undefined) return Promise.reject(new Error(`No object ${key}`));
    if (options.ifMatch !== undefined && options.ifMatch !== (version?.eTag ?? this.eTag(key)))
      return Promise.reject(new ObjectChangedError(key));
    const start = range?.start ?? 0;
    const end = Math.min(range?.end ?? size - 1, size - 1) + 1;
    return Promise.resolve({
      // Small chunks, as a network stream delivers them, so readers see backpressure and partial reads.
      body: Readable.from(chunks(fakeObjectBytes(start, end), 16 * 1024)),
      contentLength: end - start,
      contentRange: range === undefined ? undefined : `bytes ${start}-${end - 1}/${size}`,
      totalBytes: size,
    });
  }
}

function* chunks(bytes: Buffer, size: number): Generator<Buffer> {
  for (let offset = 0; offset < bytes.length; offset += size) yield bytes.subarray(offset, offset + size);
}
