/**
 * S3-compatible storage for the local stack and the integration tests: s3rver on loopback, with
 * the platform's bucket, CORS for the console, and ObjectCreated notifications on the uploads
 * prefix delivered in-process in the exact shape S3 sends to SQS.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';
import { rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import type { S3Event, S3EventRecord } from 'aws-lambda';
import S3rver from '@20minutes/s3rver';
import { LOOPBACK, assertPortFree } from './preflight';
import { multipartBridge } from './s3rver-multipart';
import { versioningBridge, versionsBucket, versionWrites, writtenVersion } from './s3rver-versions';

/** s3rver's fixed credentials: it checks SigV4 signatures against these. */
export const S3RVER_CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' } as const;

export interface S3Options {
  port: number;
  /** Objects live in `<stateDir>/s3`. */
  stateDir: string;
  bucket: string;
  region: string;
  /** Browser origins allowed by the bucket's CORS rules (the console). */
  corsOrigins: string[];
  /** Only keys under these prefixes notify, like the bucket notification filters in the CDK stack. */
  notificationPrefixes: readonly string[];
  /**
   * Receives each ObjectCreated notification. s3rver answers the upload only once the returned
   * promise settles, and answers 500 when it rejects: an acknowledged upload is a queued one.
   */
  onObjectCreated: (notification: S3Event) => Promise<void>;
}

export interface S3Service {
  /** Endpoint for S3 clients (path-style), also the origin of presigned URLs. */
  endpoint: string;
  bucket: string;
  stop(): Promise<void>;
}

/** The same rule as the CDK storage construct's allowBrowserOrigins. */
function corsConfiguration(origins: string[]): string {
  const allowed = origins.map((origin) => `<AllowedOrigin>${origin}</AllowedOrigin>`).join('');
  const methods = ['POST', 'PUT', 'GET'].map((method) => `<AllowedMethod>${method}</AllowedMethod>`).join('');
  return `<CORSConfiguration><CORSRule>${allowed}${methods}<AllowedHeader>*</AllowedHeader><ExposeHeader>ETag</ExposeHeader><MaxAgeSeconds>3000</MaxAgeSeconds></CORSRule></CORSConfiguration>`;
}

/** S3 URL-encodes keys in notifications (form encoding: a space becomes '+'). */
function notificationKey(key: string): string {
  return key
    .split('/')
    .map((segment) => encodeURIComponent(segment).replace(/%20/g, '+'))
    .join('/');
}

/**
 * Rewrites s3rver's record where it departs from what S3 sends: event version, region, bucket
 * ARN and key encoding. Everything else (names, size, ETag, sequencer) is kept.
 */
export function toS3Notification(record: S3EventRecord, region: string): S3Event {
  const { bucket, object } = record.s3;
  return {
    Records: [
      {
        ...record,
        eventVersion: '2.1',
        awsRegion: region,
        s3: {
          ...record.s3,
          configurationId: 'uploads',
          bucket: { ...bucket, arn: `arn:aws:s3:::${bucket.name}` },
          object: { ...object, key: notificationKey(object.key) },
        },
      },
    ],
  };
}

/**
 * The notification S3 would have sent for an object that is already stored: used to reconcile
 * uploads that were stored but never queued (the stack stopped in between).
 */
export function storedObjectNotification(input: {
  bucket: string;
  key: string;
  size: number;
  eTag: string;
  /** The object's current version (the bucket is versioned, as on AWS). */
  versionId?: string;
  region: string;
  storedAt: Date;
}): S3Event {
  return toS3Notification(
    {
      eventVersion: '2.1',
      eventSource: 'aws:s3',
      awsRegion: input.region,
      eventTime: input.storedAt.toISOString(),
      eventName: 'ObjectCreated:Post',
      userIdentity: { principalId: 'AWS:LOCAL' },
      requestParameters: { sourceIPAddress: LOOPBACK },
      responseElements: { 'x-amz-request-id': 'RECONCILED', 'x-amz-id-2': 'RECONCILED' },
      s3: {
        s3SchemaVersion: '1.0',
        configurationId: 'uploads',
        bucket: {
          name: input.bucket,
          ownerIdentity: { principalId: 'LOCAL' },
          arn: `arn:aws:s3:::${input.bucket}`,
        },
        object: {
          key: input.key,
          size: input.size,
          eTag: input.eTag,
          ...(input.versionId === undefined ? {} : { versionId: input.versionId }),
          sequencer: input.storedAt.getTime().toString(16).toUpperCase(),
        },
      },
    },
    input.region,
  );
}

/**
 * S3 stores an object whole or not at all. s3rver streams an upload straight into the object's file, so a request
 * cut short (a client gone mid-upload, or the IAM proxy refusing a POST beyond its policy's content-length-range)
 * leaves a truncated object that HEAD and GET then serve. A streamed body is written to a sibling file (which
 * s3rver's listings skip: it does not end in its object suffix) and renamed into place only once complete. A
 * Buffer body is whole already.
 */
export function storeWholeObjectsOnly(store: S3rver['store']): void {
  const putContent = store.putContent.bind(store);
  store.putContent = async function putWholeContent(objectPath, content) {
    if (Buffer.isBuffer(content)) return putContent(objectPath, content);
    const partial = `${objectPath}.partial-${randomUUID()}`;
    try {
      const written = await putContent(partial, content);
      await rename(partial, objectPath);
      return written;
    } catch (error) {
      await rm(partial, { force: true });
      throw error;
    }
  };
}

export async function startS3(options: S3Options): Promise<S3Service> {
  await assertPortFree(options.port, 'S3 (s3rver)', 'Set S3_PORT to another port.');
  const server = new S3rver({
    address: LOOPBACK,
    port: options.port,
    silent: true,
    directory: join(options.stateDir, 's3'),
    vhostBuckets: false,
    // The fork checks SigV4 signatures (s3rver 3.7 never did), but builds the canonical query with
    // encodeURIComponent where SigV4 wants RFC 3986: a presigned download's `filename*=UTF-8''…`
    // (an apostrophe) then never matches, so signatures are not enforced (docs/local-stack.md, "S3 emulation").
    allowMismatchedSignatures: true,
    // A CORS rule needs an origin; with none (no browser), the bucket gets no CORS at all. The companion bucket
    // of the versions answers reads by version (s3rver-versions.ts), which a browser makes too.
    configureBuckets: [options.bucket, versionsBucket(options.bucket)].map((name) => ({
      name,
      configs: options.corsOrigins.length > 0 ? [corsConfiguration(options.corsOrigins)] : [],
    })),
  });

  storeWholeObjectsOnly(server.store);
  // The CDK bucket is versioned: so is this one (docs/local-stack.md, "S3 emulation").
  const versioned = (bucket: string): boolean => bucket === options.bucket;
  versionWrites(server.store, versioned);

  // s3rver emits its event synchronously while handling the request; this per-request store
  // lets the outermost middleware wait for the notification before the response goes out.
  const deliveries = new AsyncLocalStorage<{ pending: Promise<void>[]; completesMultipart: boolean }>();
  server.middleware.unshift(
    async function awaitNotifications(ctx, next) {
      const { method, query } = ctx;
      // s3rver names a completed multipart upload's event ObjectCreated:Post; S3 names it as below.
      const request = {
        pending: [] as Promise<void>[],
        completesMultipart: method === 'POST' && 'uploadId' in query,
      };
      await deliveries.run(request, next);
      await Promise.all(request.pending);
    },
    multipartBridge((bucket) => server.store.getResourcePath(bucket, undefined, 'uploads')),
    versioningBridge(server.store, versioned),
  );
  server.on('event', (event) => {
    for (const record of event.Records) {
      if (
        !record.eventName.startsWith('ObjectCreated:') ||
        !options.notificationPrefixes.some((prefix) => record.s3.object.key.startsWith(prefix))
      )
        continue;
      const request = deliveries.getStore();
      // Always set: s3rver emits inside the request that stored the object.
      if (!request) throw new Error('s3rver emitted an event outside a request');
      const eventName = request.completesMultipart
        ? 'ObjectCreated:CompleteMultipartUpload'
        : record.eventName;
      const versionId = writtenVersion(record.s3.bucket.name, record.s3.object.key);
      const object = versionId === undefined ? record.s3.object : { ...record.s3.object, versionId };
      request.pending.push(
        options.onObjectCreated(
          toS3Notification({ ...record, eventName, s3: { ...record.s3, object } }, options.region),
        ),
      );
    }
  });

  // s3rver ignores If-Match on reads; S3 answers 412 when the object is no longer that version, which
  // is what pins the worker's ranged reads to one upload (docs/worker.md, "Pinned reads").
  server.middleware.unshift(async function ifMatch(ctx, next) {
    await next();
    const wanted = ctx.get('if-match');
    const current = ctx.response.get('etag');
    if (
      (ctx.method !== 'GET' && ctx.method !== 'HEAD') ||
      wanted === '' ||
      current === '' ||
      wanted === current
    )
      return;
    const body: unknown = ctx.body;
    if (body instanceof Readable) body.destroy();
    ctx.status = 412;
    ctx.type = 'application/xml';
    ctx.body =
      '<?xml version="1.0" encoding="UTF-8"?><Error><Code>PreconditionFailed</Code><Message>At least one of the pre-conditions you specified did not hold</Message><Condition>If-Match</Condition></Error>';
  });
  await server.run();
  return {
    // An IP, not `localhost`: presigned URLs are read by the static ffmpeg build, whose glibc
    // cannot load the NSS modules to resolve host names (it crashes with SIGSEGV).
    endpoint: `http://${LOOPBACK}:${options.port}`,
    bucket: options.bucket,
    stop: () => server.close(),
  };
}
