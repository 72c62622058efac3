/**
 * What s3rver (3.7 and the fork 5.0) lacks of S3's multipart API, answered from its own on-disk layout: ListParts,
 * AbortMultipartUpload and ListMultipartUploads (it has Create, UploadPart and Complete). s3rver keeps
 * an unfinished upload in `<bucket>/._S3rver_uploads/<uploadId>/` as a `key` file, a `metadata` file
 * and one file per part with its MD5 beside it (`<n>` and `<n>.md5`). docs/local-stack.md lists the gaps.
 */
import { readdir, readFile, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { KoaContext } from '@20minutes/s3rver';

interface StoredUpload {
  uploadId: string;
  key: string;
  initiatedAt: Date;
}

const XML_HEADER = '<?xml version="1.0" encoding="UTF-8"?>\n';

function escapeXml(text: string): string {
  return text.replace(/[<>&'"]/g, (c) => `&#${c.charCodeAt(0)};`);
}

function xml(ctx: KoaContext, status: number, body: string): void {
  ctx.status = status;
  ctx.type = 'application/xml';
  ctx.body = XML_HEADER + body;
}

function noSuchUpload(ctx: KoaContext, uploadId: string): void {
  xml(
    ctx,
    404,
    `<Error><Code>NoSuchUpload</Code><Message>The specified upload does not exist.</Message><UploadId>${escapeXml(uploadId)}</UploadId></Error>`,
  );
}

/** Uploads in one bucket's upload directory (missing directory: none). */
async function storedUploads(uploadsDir: string): Promise<StoredUpload[]> {
  const ids = await readdir(uploadsDir).catch(() => []);
  const uploads = await Promise.all(
    ids.map(async (uploadId) => {
      const keyFile = join(uploadsDir, uploadId, 'key');
      try {
        const [key, { birthtime }] = await Promise.all([readFile(keyFile, 'utf8'), stat(keyFile)]);
        return { uploadId, key, initiatedAt: birthtime };
      } catch {
        return undefined;
      }
    }),
  );
  return uploads.filter((upload) => upload !== undefined);
}

async function uploadFor(uploadsDir: string, key: string, uploadId: string): Promise<boolean> {
  // The id names a directory: anything but an opaque token could walk out of it.
  if (!/^[A-Za-z0-9]+$/.test(uploadId)) return false;
  const stored = await readFile(join(uploadsDir, uploadId, 'key'), 'utf8').catch(() => undefined);
  return stored === key;
}

async function listParts(ctx: KoaContext, dir: string, bucket: string, key: string, uploadId: string) {
  // s3rver writes a part's MD5 once the part is whole: a part whose request broke off has none and,
  // as on S3, is not a part.
  const names = new Set(await readdir(dir));
  const stored = [...names].filter((name) => /^\d+$/.test(name) && names.has(`${name}.md5`));
  const parts = await Promise.all(
    stored.map(async (name) => {
      const path = join(dir, name);
      const [{ size, mtime }, md5] = await Promise.all([stat(path), readFile(`${path}.md5`, 'utf8')]);
      return { number: Number(name), size, mtime, md5 };
    }),
  );
  const partXml = parts
    .sort((a, b) => a.number - b.number)
    .map(
      (part) =>
        `<Part><PartNumber>${part.number}</PartNumber><LastModified>${part.mtime.toISOString()}</LastModified><ETag>"${part.md5}"</ETag><Size>${part.size}</Size></Part>`,
    )
    .join('');
  xml(
    ctx,
    200,
    `<ListPartsResult><Bucket>${escapeXml(bucket)}</Bucket><Key>${escapeXml(key)}</Key><UploadId>${uploadId}</UploadId><MaxParts>10000</MaxParts><IsTruncated>false</IsTruncated>${partXml}</ListPartsResult>`,
  );
}

async function listUploads(ctx: KoaContext, uploadsDir: string, bucket: string, prefix: string) {
  const uploads = (await storedUploads(uploadsDir))
    .filter((upload) => upload.key.startsWith(prefix))
    .sort((a, b) => a.key.localeCompare(b.key) || a.uploadId.localeCompare(b.uploadId));
  const uploadXml = uploads
    .map(
      (upload) =>
        `<Upload><Key>${escapeXml(upload.key)}</Key><UploadId>${upload.uploadId}</UploadId><Initiated>${upload.initiatedAt.toISOString()}</Initiated></Upload>`,
    )
    .join('');
  xml(
    ctx,
    200,
    `<ListMultipartUploadsResult><Bucket>${escapeXml(bucket)}</Bucket><Prefix>${escapeXml(prefix)}</Prefix><MaxUploads>10000</MaxUploads><IsTruncated>false</IsTruncated>${uploadXml}</ListMultipartUploadsResult>`,
  );
}

function single(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

/**
 * Koa middleware answering the three missing operations (path-style requests); anything else goes
 * on to s3rver. `uploadsDir` maps a bucket to s3rver's upload directory for it.
 */
export function multipartBridge(uploadsDir: (bucket: string) => string) {
  return async function s3rverMultipartBridge(ctx: KoaContext, next: () => Promise<void>): Promise<void> {
    const [bucket = '', ...keySegments] = ctx.path.slice(1).split('/').map(decodeURIComponent);
    const key = keySegments.join('/');
    const uploadId = single(ctx.query.uploadId);
    if (ctx.method === 'GET' && key === '' && 'uploads' in ctx.query) {
      await listUploads(ctx, uploadsDir(bucket), bucket, single(ctx.query.prefix) ?? '');
      return;
    }
    const isListParts = ctx.method === 'GET' && !('partNumber' in ctx.query);
    if (key === '' || uploadId === undefined || !(isListParts || ctx.method === 'DELETE')) {
      await next();
      return;
    }
    if (!(await uploadFor(uploadsDir(bucket), key, uploadId))) {
      noSuchUpload(ctx, uploadId);
      return;
    }
    const dir = join(uploadsDir(bucket), uploadId);
    if (isListParts) {
      await listParts(ctx, dir, bucket, key, uploadId);
      return;
    }
    await rm(dir, { recursive: true, force: true });
    ctx.status = 204;
    ctx.body = '';
  };
}
