import { GetObjectCommand, PutObjectCommand, S3Client, UploadPartCommand } from '@aws-sdk/client-s3';
import { SQSClient, SendMessageBatchCommand } from '@aws-sdk/client-sqs';
import { Signer } from '@aws-sdk/rds-signer';
import { createPresignedPost } from '@aws-sdk/s3-presigned-post';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { describe, expect, it } from 'vitest';
import { type ReceivedRequest, parseQuery, verifyPostPolicy, verifyRequest } from '#infra/local/iam/sigv4';

const credentials = { accessKeyId: 'AKIDWORKER', secretAccessKey: 'worker-secret' };
const secretOf = (accessKeyId: string) =>
  accessKeyId === credentials.accessKeyId ? credentials.secretAccessKey : undefined;
const wrongSecret = () => 'not-the-secret';
const HOUR = 3_600_000;

interface Captured {
  method: string;
  path: string;
  query: Record<string, string | string[] | null | undefined>;
  headers: Record<string, string>;
  body?: unknown;
}

class CapturedRequest extends Error {
  constructor(readonly request: Captured) {
    super('captured');
  }
}

const capturing = {
  region: 'us-east-1',
  credentials,
  maxAttempts: 1,
  requestHandler: { handle: (request: Captured) => Promise.reject(new CapturedRequest(request)) },
};

/** The request the SDK signed, as an enforcement point receives it. */
async function signedBySdk(send: () => Promise<unknown>): Promise<ReceivedRequest> {
  const error = await send().then(
    () => undefined,
    (reason: unknown) => reason,
  );
  if (!(error instanceof CapturedRequest)) throw new Error(`not captured: ${String(error)}`);
  const { method, path, query, headers, body } = error.request;
  const received: ReceivedRequest = {
    method,
    path,
    query: Object.fromEntries(Object.entries(query).map(([name, value]) => [name, value ?? ''])),
    headers: Object.fromEntries(Object.entries(headers).map(([name, value]) => [name.toLowerCase(), value])),
  };
  if (typeof body === 'string' || body instanceof Uint8Array) received.body = Buffer.from(body);
  return received;
}

function fromUrl(method: string, url: string, headers: Record<string, string> = {}): ReceivedRequest {
  const parsed = new URL(url);
  return {
    method,
    path: parsed.pathname,
    query: parseQuery(parsed.search.slice(1)),
    headers: { host: parsed.host, ...headers },
  };
}

const s3 = new S3Client({ ...capturing, endpoint: 'http://127.0.0.1:4569', forcePathStyle: true });
const sqs = new SQSClient({ ...capturing, endpoint: 'http://localhost:3000' });

describe('verifyRequest: header signatures', () => {
  it("accepts the SDK's own S3 and SQS requests and names the key", async () => {
    const get = await signedBySdk(() =>
      s3.send(new GetObjectCommand({ Bucket: 'b', Key: 'uploads/a b+c.mp4' })),
    );
    expect(await verifyRequest(get, { service: 's3', secretOf })).toEqual({
      ok: true,
      accessKeyId: 'AKIDWORKER',
      authType: 'REST-HEADER',
    });
    const send = await signedBySdk(() =>
      sqs.send(
        new SendMessageBatchCommand({
          QueueUrl: 'http://localhost:3000/0/q',
          Entries: [{ Id: '1', MessageBody: 'x' }],
        }),
      ),
    );
    expect(await verifyRequest(send, { service: 'sqs', secretOf })).toMatchObject({ ok: true });
  });

  it('refuses an unknown key, a wrong secret, a tampered request and a key scoped to another service', async () => {
    const put = await signedBySdk(() =>
      s3.send(new PutObjectCommand({ Bucket: 'b', Key: 'processed/k', Body: 'x' })),
    );
    expect(await verifyRequest(put, { service: 's3', secretOf: () => undefined })).toMatchObject({
      ok: false,
      code: 'InvalidAccessKeyId',
    });
    expect(await verifyRequest(put, { service: 's3', secretOf: wrongSecret })).toMatchObject({
      ok: false,
      code: 'SignatureDoesNotMatch',
      accessKeyId: 'AKIDWORKER',
    });
    const elsewhere = { ...put, path: '/b/uploads/k' };
    expect(await verifyRequest(elsewhere, { service: 's3', secretOf })).toMatchObject({
      code: 'SignatureDoesNotMatch',
    });
    expect(await verifyRequest(put, { service: 'sqs', secretOf })).toMatchObject({
      code: 'SignatureDoesNotMatch',
    });
  });

  it("checks a JSON body against the signature (SQS signs its payload's hash)", async () => {
    const send = await signedBySdk(() =>
      sqs.send(
        new SendMessageBatchCommand({
          QueueUrl: 'http://localhost:3000/0/q',
          Entries: [{ Id: '1', MessageBody: 'x' }],
        }),
      ),
    );
    const altered = {
      ...send,
      body: Buffer.from((send.body ? Buffer.from(send.body).toString() : '').replace('"x"', '"y"')),
    };
    expect(await verifyRequest(altered, { service: 'sqs', secretOf })).toMatchObject({
      code: 'SignatureDoesNotMatch',
    });
  });

  it('refuses an unsigned request and one dated more than 15 minutes away', async () => {
    const get = await signedBySdk(() => s3.send(new GetObjectCommand({ Bucket: 'b', Key: 'k' })));
    const unsigned = Object.fromEntries(
      Object.entries(get.headers).filter(([name]) => name !== 'authorization'),
    );
    expect(await verifyRequest({ ...get, headers: unsigned }, { service: 's3', secretOf })).toMatchObject({
      code: 'MissingAuthenticationToken',
    });
    const later = () => new Date(Date.now() + HOUR);
    expect(await verifyRequest(get, { service: 's3', secretOf, now: later })).toMatchObject({
      code: 'RequestTimeTooSkewed',
    });
  });
});

describe('verifyRequest: presigned URLs', () => {
  it('accepts a presigned GET with a response override until it expires', async () => {
    const url = await getSignedUrl(
      s3,
      new GetObjectCommand({
        Bucket: 'b',
        Key: 'processed/7/v.mp4',
        ResponseContentDisposition: 'attachment; filename="ä.mp4"',
      }),
      { expiresIn: 600 },
    );
    const request = fromUrl('GET', url);
    expect(await verifyRequest(request, { service: 's3', secretOf })).toEqual({
      ok: true,
      accessKeyId: 'AKIDWORKER',
      authType: 'REST-QUERY-STRING',
    });
    const afterExpiry = () => new Date(Date.now() + 601_000);
    expect(await verifyRequest(request, { service: 's3', secretOf, now: afterExpiry })).toMatchObject({
      code: 'RequestExpired',
    });
    const otherKey = fromUrl('GET', url.replace('processed/7', 'processed/8'));
    expect(await verifyRequest(otherKey, { service: 's3', secretOf })).toMatchObject({
      code: 'SignatureDoesNotMatch',
    });
  });

  it('a presigned part URL binds its signed Content-Length', async () => {
    const command = new UploadPartCommand({
      Bucket: 'b',
      Key: 'uploads/k',
      UploadId: 'u',
      PartNumber: 1,
      ContentLength: 5,
    });
    const url = await getSignedUrl(s3, command, {
      expiresIn: 60,
      signableHeaders: new Set(['content-length']),
    });
    expect(
      await verifyRequest(fromUrl('PUT', url, { 'content-length': '5' }), { service: 's3', secretOf }),
    ).toMatchObject({
      ok: true,
    });
    expect(
      await verifyRequest(fromUrl('PUT', url, { 'content-length': '6' }), { service: 's3', secretOf }),
    ).toMatchObject({
      code: 'SignatureDoesNotMatch',
    });
  });

  it("verifies the RDS signer's connect token (a presigned rds-db request)", async () => {
    const token = await new Signer({
      hostname: 'localhost',
      port: 5433,
      username: 'idrl_app',
      region: 'us-east-1',
      credentials,
    }).getAuthToken();
    const request = fromUrl('GET', `https://${token}`);
    expect(await verifyRequest(request, { service: 'rds-db', secretOf })).toMatchObject({ ok: true });
    expect(await verifyRequest(request, { service: 'rds-db', secretOf: wrongSecret })).toMatchObject({
      code: 'SignatureDoesNotMatch',
    });
  });
});

describe('verifyPostPolicy: the browser upload form', () => {
  async function form(conditions: Parameters<typeof createPresignedPost>[1]['Conditions'] = []) {
    const { fields } = await createPresignedPost(s3, {
      Bucket: 'idrl-videos',
      Key: 'uploads/7/n1',
      Conditions: [['eq', '$Content-Type', 'video/mp4'], ['content-length-range', 1, 500], ...conditions],
      Fields: { 'Content-Type': 'video/mp4' },
      Expires: 300,
    });
    return new Map(Object.entries(fields).map(([name, value]) => [name.toLowerCase(), value]));
  }

  it("accepts the SDK's form and hands back the size range to enforce while streaming", async () => {
    expect(await verifyPostPolicy(await form(), 'idrl-videos', { secretOf })).toEqual({
      ok: true,
      accessKeyId: 'AKIDWORKER',
      authType: 'POST',
      sizeRange: { min: 1, max: 500 },
    });
  });

  it('refuses a form whose fields break a condition: key, content type, bucket, extra field', async () => {
    const fields = await form();
    const changed = async (name: string, value: string, bucket = 'idrl-videos') =>
      verifyPostPolicy(new Map([...fields, [name, value]]), bucket, { secretOf });
    expect(await changed('key', 'uploads/8/n1')).toMatchObject({
      code: 'PolicyViolation',
      message: 'Invalid according to Policy: Policy Condition failed: ["eq", "$key", "uploads/7/n1"]',
    });
    expect(await changed('content-type', 'text/html')).toMatchObject({ code: 'PolicyViolation' });
    expect(await verifyPostPolicy(fields, 'other-bucket', { secretOf })).toMatchObject({
      code: 'PolicyViolation',
    });
    expect(await changed('success_action_redirect', 'https://evil.example')).toMatchObject({
      message: 'Invalid according to Policy: Extra input fields: success_action_redirect',
    });
  });

  it('refuses an expired policy, a forged signature and an unknown key', async () => {
    const fields = await form();
    const later = () => new Date(Date.now() + 301_000);
    expect(await verifyPostPolicy(fields, 'idrl-videos', { secretOf, now: later })).toMatchObject({
      message: 'Invalid according to Policy: Policy expired.',
    });
    expect(await verifyPostPolicy(fields, 'idrl-videos', { secretOf: wrongSecret })).toMatchObject({
      code: 'SignatureDoesNotMatch',
    });
    expect(await verifyPostPolicy(fields, 'idrl-videos', { secretOf: () => undefined })).toMatchObject({
      code: 'InvalidAccessKeyId',
    });
  });

  it('starts-with conditions match prefixes', async () => {
    const fields = await form([['starts-with', '$x-amz-meta-task', 'task-']]);
    const withMeta = (value: string) => new Map([...fields, ['x-amz-meta-task', value]]);
    expect(await verifyPostPolicy(withMeta('task-7'), 'idrl-videos', { secretOf })).toMatchObject({
      ok: true,
    });
    expect(await verifyPostPolicy(withMeta('job-7'), 'idrl-videos', { secretOf })).toMatchObject({
      code: 'PolicyViolation',
    });
  });
});
