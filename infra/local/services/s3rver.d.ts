// s3rver ships no types; this declares the part of its API the local stack uses.
declare module '@20minutes/s3rver' {
  import type { Server } from 'node:http';
  import type { S3Event } from 'aws-lambda';

  interface S3rverOptions {
    address?: string;
    port?: number;
    silent?: boolean;
    directory?: string;
    allowMismatchedSignatures?: boolean;
    vhostBuckets?: boolean;
    configureBuckets?: { name: string; configs?: (string | Buffer)[] }[];
  }

  /** The part of Koa's context the local stack's middleware touches. */
  interface KoaContext {
    method: string;
    path: string;
    query: Record<string, string | string[] | undefined>;
    status: number;
    type: string;
    body: unknown;
    get(field: string): string;
    set(field: string, value: string): void;
    response: { get(field: string): string };
  }

  /** s3rver's S3Object as its store reads it. */
  interface StoredObject {
    bucket: string;
    key: string;
    content: Buffer | NodeJS.ReadableStream;
    metadata: Record<string, unknown>;
  }

  type KoaMiddleware = (ctx: KoaContext, next: () => Promise<void>) => Promise<void>;

  export default class S3rver {
    constructor(options?: S3rverOptions);
    /** Koa's middleware stack: composed when the server starts listening. */
    middleware: KoaMiddleware[];
    /** The filesystem store; `getResourcePath(bucket, undefined, 'uploads')` holds unfinished multipart uploads. */
    store: {
      getResourcePath(bucket: string, key: string | undefined, resource: string): string;
      /** Writes an object's bytes to `objectPath`; resolves with their size and MD5 (hex). */
      putContent(objectPath: string, content: Buffer | NodeJS.ReadableStream): Promise<[number, string]>;
      /** Stores an object (its content, then its metadata): PUT, POST and the multipart completion call it. */
      putObject(object: StoredObject): Promise<{ size: number; md5: string }>;
      /** Copies the content, metadata and MD5 files of an object (its metadata replaced when given). */
      copyObject(
        srcBucket: string,
        srcKey: string,
        destBucket: string,
        destKey: string,
        replacementMetadata?: Record<string, unknown>,
      ): Promise<unknown>;
      existsObject(bucket: string, key: string): Promise<boolean>;
      /** Removes the object's files (a missing one is not an error) and the folders left empty. */
      deleteObject(bucket: string, key: string): Promise<void>;
    };
    httpServer?: Server;
    run(): Promise<{ address: string; port: number }>;
    close(): Promise<void>;
    /** Emitted synchronously after an object is stored or deleted, before the response is sent. */
    on(event: 'event', listener: (event: S3Event) => void): this;
    on(event: 'error', listener: (error: Error) => void): this;
  }
}
