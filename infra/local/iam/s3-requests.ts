/**
 * S3 REST requests (path-style, as the functions' clients and the browser send them to the local endpoint) →
 * the IAM authorizations S3 makes for them (AWS's "Actions, resources, and condition keys for Amazon S3" and
 * "Required permissions for Amazon S3 API operations"). One request can need several: a batch delete is one
 * s3:DeleteObject per key, a copy reads its source too.
 */
import type { ContextValue, IamRequest } from './policy';
import { suppliedContext } from './service-reference';

export interface S3HttpRequest {
  method: string;
  /** The path on the wire, path-style: `/<bucket>` or `/<bucket>/<URI-encoded key>`. */
  path: string;
  /** Query parameters, decoded. */
  query: Readonly<Record<string, string | readonly string[]>>;
  /** Header names in lower case. */
  headers: Readonly<Record<string, string | undefined>>;
  /** How the request is authenticated, for `s3:authType`. */
  authType: 'REST-HEADER' | 'REST-QUERY-STRING' | 'POST';
}

export interface MappedCall {
  /** The API operation, for log lines (`GetObject`, `ListMultipartUploads`, …). */
  operation: string;
  requests: IamRequest[];
}

/** A request the mapping does not know: refused rather than waved through. */
export class UnmappedRequestError extends Error {
  override readonly name = 'UnmappedRequestError';
}

function param(query: S3HttpRequest['query'], name: string): string | undefined {
  const value = query[name];
  return typeof value === 'string' ? value : value?.[0];
}

function has(query: S3HttpRequest['query'], name: string): boolean {
  return Object.hasOwn(query, name);
}

/** `/bucket/a%20b/c` → `{ bucket: 'bucket', key: 'a b/c' }`. */
export function bucketAndKey(path: string): { bucket: string; key: string } {
  const [, bucket = '', ...rest] = path.split('/');
  return { bucket: decodeURIComponent(bucket), key: rest.map(decodeURIComponent).join('/') };
}

export function bucketArn(bucket: string): string {
  return `arn:aws:s3:::${bucket}`;
}

export function objectArn(bucket: string, key: string): string {
  return `arn:aws:s3:::${bucket}/${key}`;
}

function authorization(
  action: string,
  resource: string,
  request: S3HttpRequest,
  extra: Record<string, ContextValue | undefined> = {},
): IamRequest {
  return {
    action,
    resource,
    context: suppliedContext(action, {
      's3:authType': request.authType,
      's3:signatureversion': 'AWS4-HMAC-SHA256',
      's3:x-amz-content-sha256': request.headers['x-amz-content-sha256'],
      ...extra,
    }),
  };
}

function listingKeys(query: S3HttpRequest['query']): Record<string, string | undefined> {
  // Present only when the request carries the parameter, as S3 supplies them.
  return {
    's3:prefix': param(query, 'prefix'),
    's3:delimiter': param(query, 'delimiter'),
    's3:max-keys': param(query, 'max-keys'),
  };
}

function bucketCall(request: S3HttpRequest, bucket: string): MappedCall {
  const { method, query } = request;
  const arn = bucketArn(bucket);
  const one = (operation: string, action: string, extra?: Record<string, ContextValue | undefined>) => ({
    operation,
    requests: [authorization(action, arn, request, extra)],
  });
  if (method === 'GET' && has(query, 'uploads'))
    return one('ListMultipartUploads', 's3:ListBucketMultipartUploads', listingKeys(query));
  if (method === 'GET' && has(query, 'versions'))
    return one('ListObjectVersions', 's3:ListBucketVersions', listingKeys(query));
  if (method === 'GET' && has(query, 'location')) return one('GetBucketLocation', 's3:GetBucketLocation');
  if (method === 'GET' && Object.keys(query).every((name) => LIST_PARAMETERS.has(name)))
    return one(
      param(query, 'list-type') === '2' ? 'ListObjectsV2' : 'ListObjects',
      's3:ListBucket',
      listingKeys(query),
    );
  if (method === 'HEAD' && Object.keys(query).length === 0) return one('HeadBucket', 's3:ListBucket');
  throw new UnmappedRequestError(`${method} on bucket ${bucket} with ?${Object.keys(query).join('&')}`);
}

const LIST_PARAMETERS = new Set([
  'list-type',
  'prefix',
  'delimiter',
  'max-keys',
  'continuation-token',
  'start-after',
  'fetch-owner',
  'encoding-type',
  'marker',
]);

/** Response overrides (`response-content-disposition`…) and the part number ride along with a GET. */
function isPlainObjectRead(query: S3HttpRequest['query']): boolean {
  return Object.keys(query).every(
    (name) => name.startsWith('response-') || name === 'versionId' || name === 'partNumber',
  );
}

function objectCall(request: S3HttpRequest, bucket: string, key: string): MappedCall {
  const { method, query, headers } = request;
  const arn = objectArn(bucket, key);
  const versioned = has(query, 'versionId');
  const one = (operation: string, action: string) => ({
    operation,
    requests: [authorization(action, arn, request)],
  });
  switch (method) {
    case 'GET':
      if (has(query, 'uploadId')) return one('ListParts', 's3:ListMultipartUploadParts');
      if (isPlainObjectRead(query))
        return one('GetObject', versioned ? 's3:GetObjectVersion' : 's3:GetObject');
      break;
    case 'HEAD':
      if (isPlainObjectRead(query))
        return one('HeadObject', versioned ? 's3:GetObjectVersion' : 's3:GetObject');
      break;
    case 'PUT': {
      const copySource = headers['x-amz-copy-source'];
      const partUpload = has(query, 'uploadId') && has(query, 'partNumber');
      if (Object.keys(query).length > 0 && !partUpload) break;
      if (copySource === undefined) return one(partUpload ? 'UploadPart' : 'PutObject', 's3:PutObject');
      // A copy writes the target and reads the source (of the given version, if any).
      const [sourcePath = '', sourceQuery = ''] = copySource.split('?');
      const source = bucketAndKey(sourcePath.startsWith('/') ? sourcePath : `/${sourcePath}`);
      const sourceVersioned = new URLSearchParams(sourceQuery).has('versionId');
      return {
        operation: partUpload ? 'UploadPartCopy' : 'CopyObject',
        requests: [
          authorization('s3:PutObject', arn, request, { 's3:x-amz-copy-source': copySource }),
          authorization(
            sourceVersioned ? 's3:GetObjectVersion' : 's3:GetObject',
            objectArn(source.bucket, source.key),
            request,
          ),
        ],
      };
    }
    case 'POST':
      if (has(query, 'uploads')) return one('CreateMultipartUpload', 's3:PutObject');
      if (has(query, 'uploadId')) return one('CompleteMultipartUpload', 's3:PutObject');
      break;
    case 'DELETE':
      if (has(query, 'uploadId')) return one('AbortMultipartUpload', 's3:AbortMultipartUpload');
      if (Object.keys(query).every((name) => name === 'versionId'))
        return one('DeleteObject', versioned ? 's3:DeleteObjectVersion' : 's3:DeleteObject');
      break;
  }
  throw new UnmappedRequestError(`${method} on an object with ?${Object.keys(query).join('&')}`);
}

/** A `POST /<bucket>?delete`: its authorizations come from the keys in its body (`s3DeleteObjectsCall`). */
export function isBatchDelete(request: Pick<S3HttpRequest, 'method' | 'path' | 'query'>): boolean {
  return request.method === 'POST' && has(request.query, 'delete') && bucketAndKey(request.path).key === '';
}

/** The IAM authorizations of one S3 REST request (not a batch delete nor a browser POST upload). */
export function s3Call(received: S3HttpRequest): MappedCall {
  // Neither the SDK's `x-id` (the operation's name, for S3's logs) nor the signature's and hoisted headers'
  // `X-Amz-*` parameters of a presigned URL select the operation.
  const query = Object.fromEntries(
    Object.entries(received.query).filter(([name]) => name !== 'x-id' && !/^x-amz-/i.test(name)),
  );
  const request = { ...received, query };
  const { bucket, key } = bucketAndKey(request.path);
  if (bucket === '') throw new UnmappedRequestError(`${request.method} / (ListBuckets is not used)`);
  if (isBatchDelete(request))
    throw new UnmappedRequestError('DeleteObjects needs its body: use s3DeleteObjectsCall');
  return key === '' ? bucketCall(request, bucket) : objectCall(request, bucket, key);
}

function decodeXml(text: string): string {
  return text.replace(/&(lt|gt|amp|quot|apos|#x?[0-9a-fA-F]+);/g, (entity: string, name: string) => {
    const named: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };
    if (named[name] !== undefined) return named[name];
    const code = name.startsWith('#x') ? parseInt(name.slice(2), 16) : parseInt(name.slice(1), 10);
    return Number.isNaN(code) ? entity : String.fromCodePoint(code);
  });
}

/**
 * DeleteObjects: S3 authorizes each key of the batch on its own (s3:DeleteObject, or s3:DeleteObjectVersion
 * for a key given with its version) — there is no s3:DeleteObjects action.
 */
export function s3DeleteObjectsCall(request: S3HttpRequest, body: string): MappedCall {
  const { bucket } = bucketAndKey(request.path);
  const objects = [...body.matchAll(/<Object>([\s\S]*?)<\/Object>/g)].map((match) => {
    const inner = match[1] ?? '';
    const key = /<Key>([\s\S]*?)<\/Key>/.exec(inner)?.[1];
    if (key === undefined) throw new UnmappedRequestError('DeleteObjects entry without a Key');
    return { key: decodeXml(key), versioned: /<VersionId>/.test(inner) };
  });
  return {
    operation: 'DeleteObjects',
    requests: objects.map(({ key, versioned }) =>
      authorization(
        versioned ? 's3:DeleteObjectVersion' : 's3:DeleteObject',
        objectArn(bucket, key),
        request,
      ),
    ),
  };
}

/** A browser POST upload (presigned POST) is an s3:PutObject of the form's key. */
export function s3PostObjectCall(bucket: string, key: string, request: S3HttpRequest): MappedCall {
  return {
    operation: 'PostObject',
    requests: [authorization('s3:PutObject', objectArn(bucket, key), request)],
  };
}
