/**
 * S3 bucket versioning, which s3rver lacks, for the part the platform uses (docs/local-stack.md, "S3 emulation";
 * docs/worker.md, "Single-use uploads"): every object written (PUT, POST, CompleteMultipartUpload) gets a version
 * id, kept in the write's response (`x-amz-version-id`), in its ObjectCreated notification (`s3.object.versionId`)
 * and on later GET/HEAD of the current object; `GET`/`HEAD ?versionId=` read that version, a replaced or
 * deleted one included; `DELETE ?versionId=` removes it for good, and deleting the current version makes the
 * newest remaining one current, as S3 does.
 *
 * Every version is an object of a companion s3rver bucket (`<bucket>--versions`, key `<key>/<versionId>`), so
 * s3rver itself serves a versioned read (ranges, headers, the If-Match middleware): a write stores the posted
 * bytes there first and then copies them to the key, and a read by version is rewritten to that object. The
 * companion bucket lives in the stack's state folder like the bucket, so noncurrent versions survive restarts.
 * Not bridged (the platform sends none): ListObjectVersions, version ids in batch deletes and copies, delete
 * markers (a plain DELETE removes the current object and keeps every version), the noncurrent-version expiry.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { randomBytes } from 'node:crypto';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { KoaContext, KoaMiddleware, default as S3rver } from '@20minutes/s3rver';

/** The companion bucket that holds every version of `bucket`'s objects. */
export function versionsBucket(bucket: string): string {
  return `${bucket}--versions`;
}

/** s3rver's suffix of an object's content file (FilesystemStore's `%s._S3rver_object`). */
const OBJECT_FILE_SUFFIX = '._S3rver_object';

/**
 * 32 URL-safe characters, as S3's ids: a zero-padded time and a counter first, so the ids of one key sort in the
 * order they were written (which version becomes current when the current one is deleted), then randomness.
 */
const VERSION_ID = /^[0-9a-z]{12}[A-Za-z0-9_-]{20}$/;
let written = 0;
function newVersionId(): string {
  const order = `${Date.now().toString(36).padStart(9, '0')}${(written++ % 36 ** 3).toString(36).padStart(3, '0')}`;
  return `${order}${randomBytes(15).toString('base64url')}`;
}

type Store = S3rver['store'];

interface WrittenVersion {
  bucket: string;
  key: string;
  versionId: string;
}

/** The versions one request wrote: its response header and its notification name them. */
const requestVersions = new AsyncLocalStorage<WrittenVersion[]>();

/**
 * The version the current request wrote to `bucket`/`key`: the notification listener runs inside the request
 * (s3rver emits while it handles it), after the object was stored.
 */
export function writtenVersion(bucket: string, key: string): string | undefined {
  return requestVersions.getStore()?.findLast((version) => version.bucket === bucket && version.key === key)
    ?.versionId;
}

async function readMetadata(
  store: Store,
  bucket: string,
  key: string,
): Promise<Record<string, unknown> | undefined> {
  const text = await readFile(store.getResourcePath(bucket, key, 'metadata.json'), 'utf8').catch(
    () => undefined,
  );
  return text === undefined ? undefined : (JSON.parse(text) as Record<string, unknown>);
}

/**
 * Versions every object `store.putObject` writes into a versioned bucket (s3rver's PUT, POST and multipart
 * completion all store through it): the bytes go to the version's object first, then the version is copied to
 * the key. The version's id is kept in its metadata file, which the copy takes along to the key's.
 */
export function versionWrites(store: Store, versioned: (bucket: string) => boolean): void {
  const putObject = store.putObject.bind(store);
  store.putObject = async function putVersionedObject(object) {
    if (!versioned(object.bucket)) return putObject(object);
    const versionId = newVersionId();
    const version = { bucket: versionsBucket(object.bucket), key: `${object.key}/${versionId}` };
    const stored = await putObject({ ...object, ...version });
    const metadata = (await readMetadata(store, version.bucket, version.key)) ?? {};
    await writeFile(
      store.getResourcePath(version.bucket, version.key, 'metadata.json'),
      JSON.stringify({ ...metadata, 'x-amz-version-id': versionId }),
    );
    await store.copyObject(version.bucket, version.key, object.bucket, object.key);
    requestVersions.getStore()?.push({ bucket: object.bucket, key: object.key, versionId });
    return stored;
  };
}

function xmlError(ctx: KoaContext, status: number, code: string, message: string, detail: string): void {
  ctx.status = status;
  ctx.type = 'application/xml';
  ctx.body = `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${message}</Message>${detail}</Error>`;
}

function escapeXml(text: string): string {
  return text.replace(/[<>&'"]/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** The ids of the stored versions of `key`, oldest first. */
async function storedVersions(store: Store, bucket: string, key: string): Promise<string[]> {
  const folder = dirname(store.getResourcePath(versionsBucket(bucket), `${key}/_`, 'object'));
  const files = await readdir(folder).catch(() => []);
  return files
    .filter((file) => file.endsWith(OBJECT_FILE_SUFFIX))
    .map((file) => file.slice(0, -OBJECT_FILE_SUFFIX.length))
    .filter((id) => VERSION_ID.test(id))
    .sort();
}

/** `DELETE ?versionId=`: gone for good; S3 answers 204 with the id, whether or not the version existed. */
async function deleteVersion(store: Store, bucket: string, key: string, versionId: string): Promise<void> {
  const wasCurrent = (await readMetadata(store, bucket, key))?.['x-amz-version-id'] === versionId;
  // After unlinking, s3rver's delete removes the folders it emptied and throws ENOENT on one that is gone already: a
  // repeated delete of a key's last version (a task's delete run again), or deletes in parallel emptying one folder.
  await store.deleteObject(versionsBucket(bucket), `${key}/${versionId}`).catch((error: unknown) => {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  });
  if (!wasCurrent) return;
  const newest = (await storedVersions(store, bucket, key)).at(-1);
  if (newest === undefined) await store.deleteObject(bucket, key);
  else await store.copyObject(versionsBucket(bucket), `${key}/${newest}`, bucket, key);
}

function isRead(method: string): boolean {
  return method === 'GET' || method === 'HEAD';
}

/** `/<bucket>/<key>` of a path-style object request (the raw path: the key stays percent-encoded). */
function objectPath(path: string): { bucket: string; rawKey: string } | undefined {
  const match = /^\/([^/]+)\/(.+)$/.exec(path);
  return match === null ? undefined : { bucket: match[1] ?? '', rawKey: match[2] ?? '' };
}

/**
 * The Koa middleware, ahead of s3rver's routes: answers `DELETE ?versionId=`, sends `GET`/`HEAD ?versionId=` to
 * the version's object, and names the version a write stored in its response.
 */
export function versioningBridge(store: Store, versioned: (bucket: string) => boolean): KoaMiddleware {
  return async function objectVersions(ctx, next) {
    const target = objectPath(ctx.path);
    const { versionId } = ctx.query;
    if (target !== undefined && versioned(target.bucket) && versionId !== undefined) {
      const key = decodeURIComponent(target.rawKey);
      if (typeof versionId !== 'string' || !VERSION_ID.test(versionId)) {
        xmlError(
          ctx,
          400,
          'InvalidArgument',
          'Invalid version id specified',
          '<ArgumentName>versionId</ArgumentName>',
        );
        return;
      }
      if (ctx.method === 'DELETE') {
        await deleteVersion(store, target.bucket, key, versionId);
        ctx.status = 204;
        ctx.set('x-amz-version-id', versionId);
        return;
      }
      if (isRead(ctx.method)) {
        const versionKey = `${key}/${versionId}`;
        if (!(await store.existsObject(versionsBucket(target.bucket), versionKey))) {
          xmlError(
            ctx,
            404,
            'NoSuchVersion',
            'The specified version does not exist.',
            `<Key>${escapeXml(key)}</Key><VersionId>${versionId}</VersionId>`,
          );
          return;
        }
        ctx.path = `/${versionsBucket(target.bucket)}/${target.rawKey}/${versionId}`;
        await next();
        if (ctx.status < 400) ctx.set('x-amz-version-id', versionId);
        return;
      }
    }
    const versions: WrittenVersion[] = [];
    await requestVersions.run(versions, next);
    const last = versions.at(-1);
    if (last !== undefined && ctx.status < 400) ctx.set('x-amz-version-id', last.versionId);
    else if (target !== undefined && versioned(target.bucket) && ctx.status < 400 && isRead(ctx.method)) {
      // s3rver answers only the metadata fields it knows: the current version's id is added here.
      const current = (await readMetadata(store, target.bucket, decodeURIComponent(target.rawKey)))?.[
        'x-amz-version-id'
      ];
      if (typeof current === 'string') ctx.set('x-amz-version-id', current);
    }
  };
}
