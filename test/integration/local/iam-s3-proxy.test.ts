/**
 * The S3 enforcement point in front of the real local S3 server (s3rver), driven by the real SDK v3 client,
 * its presigners and fetch (as the browser sends presigned requests): allowed calls reach storage, denied ones
 * fail as S3 fails them (AccessDenied, 403, AWS's message) and are logged with the function, action, resource
 * and the policy that missed. The policies are the template's own statements for these functions.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListMultipartUploadsCommand,
  ListObjectVersionsCommand,
  PutObjectCommand,
  S3Client,
  S3ServiceException,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { createPresignedPost } from '@aws-sdk/s3-presigned-post';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type IamEnforcer, type LocalPrincipal, createIamEnforcer } from '#infra/local/iam/enforcer';
import type { PolicyDocument } from '#infra/local/iam/policy';
import { type S3Proxy, startS3Proxy } from '#infra/local/iam/s3-proxy';
import { freePort } from '#infra/local/services/preflight';
import { S3RVER_CREDENTIALS, type S3Service, startS3 } from '#infra/local/services/s3';

const BUCKET = 'idrl-videos';
const BUCKET_ARN = `arn:aws:s3:::${BUCKET}`;
const REGION = 'us-east-1';
const ACCOUNT = '000000000000';

function role(name: string, statements: PolicyDocument['Statement'], inVpc = false): LocalPrincipal {
  return {
    accessKeyId: `AKID${name.toUpperCase().replace(/-/g, '')}`,
    secretAccessKey: `${name}-secret`,
    roleArn: `arn:aws:iam::${ACCOUNT}:role/${name}-role`,
    functionName: name,
    policies: { DefaultPolicy: { Version: '2012-10-17', Statement: statements } },
    inVpc,
  };
}

// The template's statements (test/infra/synth.ts, default configuration), intrinsics resolved.
const createTask = role('create-task', [
  { Effect: 'Allow', Action: 's3:PutObject', Resource: `${BUCKET_ARN}/uploads/*` },
]);
const getTask = role('get-task', [
  { Effect: 'Allow', Action: 's3:GetObject', Resource: `${BUCKET_ARN}/uploads/*` },
  { Effect: 'Allow', Action: 's3:GetObject', Resource: `${BUCKET_ARN}/processed/*` },
]);
const deleteTask = role(
  'delete-task',
  [
    {
      Effect: 'Allow',
      Action: ['s3:DeleteObject', 's3:AbortMultipartUpload'],
      Resource: `${BUCKET_ARN}/uploads/*`,
    },
    {
      Effect: 'Allow',
      Action: 's3:ListBucketMultipartUploads',
      Resource: BUCKET_ARN,
      Condition: { StringLike: { 's3:prefix': ['uploads/*'] } },
    },
  ],
  true,
);
const completeUpload = role('complete-multipart-upload', [
  {
    Effect: 'Allow',
    Action: ['s3:PutObject', 's3:AbortMultipartUpload', 's3:ListMultipartUploadParts', 's3:GetObject'],
    Resource: `${BUCKET_ARN}/uploads/*`,
  },
  // What the template would need for ListMultipartUploads: no s3:prefix condition.
  { Effect: 'Allow', Action: 's3:ListBucketMultipartUploads', Resource: BUCKET_ARN },
]);
const sweep = role(
  'sweep-tasks',
  [
    { Effect: 'Allow', Action: ['s3:GetObject', 's3:DeleteObject'], Resource: `${BUCKET_ARN}/uploads/*` },
    { Effect: 'Allow', Action: ['s3:ListBucket', 's3:ListBucketVersions'], Resource: BUCKET_ARN },
  ],
  true,
);

const bucketPolicy: PolicyDocument = {
  Version: '2012-10-17',
  Statement: [
    {
      Effect: 'Deny',
      Principal: { AWS: '*' },
      Action: 's3:*',
      Resource: [BUCKET_ARN, `${BUCKET_ARN}/*`],
      Condition: { Bool: { 'aws:SecureTransport': 'false' } },
    },
  ],
};
const gatewayEndpointPolicy: PolicyDocument = {
  Version: '2012-10-17',
  Statement: [
    {
      Effect: 'Allow',
      Principal: { AWS: '*' },
      Action: [
        's3:GetObject',
        's3:PutObject',
        's3:DeleteObject',
        's3:AbortMultipartUpload',
        's3:ListMultipartUploadParts',
      ],
      Resource: `${BUCKET_ARN}/*`,
    },
    {
      Effect: 'Allow',
      Principal: { AWS: '*' },
      Action: ['s3:ListBucket', 's3:ListBucketMultipartUploads'],
      Resource: BUCKET_ARN,
    },
  ],
};

let stateDir: string;
let storage: S3Service;
let proxy: S3Proxy;
let plainHttpProxy: S3Proxy;
let iam: IamEnforcer;
const logged: string[] = [];
/** The storage itself, behind the proxy's back: what was really stored. */
let direct: S3Client;

function clientOf(
  principal: Pick<LocalPrincipal, 'accessKeyId' | 'secretAccessKey'>,
  endpoint = proxy.url,
): S3Client {
  return new S3Client({
    region: REGION,
    endpoint,
    forcePathStyle: true,
    credentials: { accessKeyId: principal.accessKeyId, secretAccessKey: principal.secretAccessKey },
    maxAttempts: 1,
  });
}

async function failure(promise: Promise<unknown>): Promise<S3ServiceException> {
  const error = await promise.then(
    () => undefined,
    (reason: unknown) => reason,
  );
  if (!(error instanceof S3ServiceException)) throw new Error(`Expected an S3 error, got ${String(error)}`);
  return error;
}

async function stored(key: string): Promise<boolean> {
  const answer = await direct.send(new HeadObjectCommand({ Bucket: BUCKET, Key: key })).then(
    () => true,
    () => false,
  );
  return answer;
}

beforeAll(async () => {
  stateDir = await mkdtemp(join(tmpdir(), 'idrl-iam-s3-'));
  storage = await startS3({
    port: await freePort(),
    stateDir,
    bucket: BUCKET,
    region: REGION,
    corsOrigins: ['http://localhost:3000'],
    notificationPrefixes: [],
    onObjectCreated: () => Promise.resolve(),
  });
  iam = createIamEnforcer({
    location: { region: REGION, accountId: ACCOUNT },
    principals: [createTask, getTask, deleteTask, completeUpload, sweep],
    resourcePolicies: { [BUCKET_ARN]: bucketPolicy },
    vpcEndpointPolicies: { s3: gatewayEndpointPolicy },
    log: (line) => logged.push(line),
  });
  const upstream = { endpoint: storage.endpoint, credentials: S3RVER_CREDENTIALS, region: REGION };
  proxy = await startS3Proxy({ iam, upstream, port: 0, secureTransport: true });
  plainHttpProxy = await startS3Proxy({ iam, upstream, port: 0, secureTransport: false });
  direct = new S3Client({
    region: REGION,
    endpoint: storage.endpoint,
    forcePathStyle: true,
    credentials: S3RVER_CREDENTIALS,
  });
});

afterAll(async () => {
  await proxy.stop();
  await plainHttpProxy.stop();
  await storage.stop();
  await rm(stateDir, { recursive: true, force: true });
});

beforeEach(() => {
  logged.length = 0;
});

describe('S3 through the IAM enforcement proxy', () => {
  it('lets an allowed call through to storage, byte for byte', async () => {
    await clientOf(createTask).send(
      new PutObjectCommand({
        Bucket: BUCKET,
        Key: 'uploads/1/a.mp4',
        Body: 'eleven byte',
        ContentType: 'video/mp4',
      }),
    );
    const read = await clientOf(getTask).send(
      new GetObjectCommand({ Bucket: BUCKET, Key: 'uploads/1/a.mp4' }),
    );
    expect(await read.Body?.transformToString()).toBe('eleven byte');
    expect(logged).toEqual([]);
  });

  it("refuses a denied call with S3's AccessDenied (403, AWS's message) and logs function, action, resource and policy", async () => {
    const error = await failure(
      clientOf(getTask).send(new PutObjectCommand({ Bucket: BUCKET, Key: 'uploads/2/b.mp4', Body: 'x' })),
    );
    expect(error.name).toBe('AccessDenied');
    expect(error.$metadata.httpStatusCode).toBe(403);
    expect(error.message).toBe(
      `User: arn:aws:sts::${ACCOUNT}:assumed-role/get-task-role/get-task is not authorized to perform: s3:PutObject on resource: "${BUCKET_ARN}/uploads/2/b.mp4" because no identity-based policy allows the s3:PutObject action`,
    );
    expect(logged).toEqual([
      `[iam] AccessDenied get-task (arn:aws:iam::${ACCOUNT}:role/get-task-role) PutObject: s3:PutObject on ${BUCKET_ARN}/uploads/2/b.mp4 — implicit-deny, no statement allows it in get-task-role/DefaultPolicy, resource policy of ${BUCKET_ARN}`,
    ]);
    expect(await stored('uploads/2/b.mp4')).toBe(false);
  });

  it('denies ListMultipartUploads under an s3:prefix condition (S3 supplies no s3:prefix for it)', async () => {
    const listing = new ListMultipartUploadsCommand({ Bucket: BUCKET, Prefix: 'uploads/1/' });
    const error = await failure(clientOf(deleteTask).send(listing));
    expect(error.name).toBe('AccessDenied');
    expect(logged[0]).toContain('s3:ListBucketMultipartUploads');
    // The same call under a statement without the condition is allowed.
    await expect(clientOf(completeUpload).send(listing)).resolves.toMatchObject({
      $metadata: { httpStatusCode: 200 },
    });
  });

  it('the bucket policy denies every call that does not come over TLS (an explicit deny)', async () => {
    const error = await failure(
      clientOf(createTask, plainHttpProxy.url).send(
        new PutObjectCommand({ Bucket: BUCKET, Key: 'uploads/3/c', Body: 'x' }),
      ),
    );
    expect(error.name).toBe('AccessDenied');
    expect(error.message).toMatch(/with an explicit deny in a resource-based policy$/);
    expect(logged[0]).toContain(
      `explicit-deny, explicitly denied by resource policy of ${BUCKET_ARN} statement #0`,
    );
  });

  it("an in-VPC function's call must also be allowed by the S3 gateway endpoint's policy", async () => {
    const error = await failure(
      clientOf(sweep).send(new ListObjectVersionsCommand({ Bucket: BUCKET, Prefix: 'uploads/' })),
    );
    expect(error.name).toBe('AccessDenied');
    expect(error.message).toMatch(/because no VPC endpoint policy allows the s3:ListBucketVersions action$/);
  });

  it('a missing object is 404 to a caller that may list the bucket and 403 to one that may not', async () => {
    const head = new HeadObjectCommand({ Bucket: BUCKET, Key: 'uploads/9/missing' });
    expect((await failure(clientOf(sweep).send(head))).$metadata.httpStatusCode).toBe(404);
    expect((await failure(clientOf(getTask).send(head))).$metadata.httpStatusCode).toBe(403);
  });

  it('refuses an unknown access key and a wrong secret in S3 error shape', async () => {
    const get = new GetObjectCommand({ Bucket: BUCKET, Key: 'uploads/1/a.mp4' });
    const unknown = await failure(clientOf({ accessKeyId: 'AKIDNOBODY', secretAccessKey: 'x' }).send(get));
    expect(unknown.name).toBe('InvalidAccessKeyId');
    expect(unknown.$metadata.httpStatusCode).toBe(403);
    const forged = await failure(clientOf({ ...getTask, secretAccessKey: 'guessed' }).send(get));
    expect(forged.name).toBe('SignatureDoesNotMatch');
  });

  it("serves a presigned GET with the signer's permissions at request time", async () => {
    const allowed = await getSignedUrl(
      clientOf(getTask),
      new GetObjectCommand({
        Bucket: BUCKET,
        Key: 'uploads/1/a.mp4',
        ResponseContentDisposition: 'attachment; filename="a.mp4"',
      }),
      { expiresIn: 60 },
    );
    const response = await fetch(allowed);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-disposition')).toBe('attachment; filename="a.mp4"');
    expect(await response.text()).toBe('eleven byte');
    const byWriter = await getSignedUrl(
      clientOf(createTask),
      new GetObjectCommand({ Bucket: BUCKET, Key: 'uploads/1/a.mp4' }),
      {
        expiresIn: 60,
      },
    );
    const denied = await fetch(byWriter);
    expect(denied.status).toBe(403);
    expect(await denied.text()).toMatch(/<Code>AccessDenied<\/Code>/);
  });

  it('runs a multipart upload whose part goes to a presigned URL', async () => {
    const client = clientOf(completeUpload);
    const key = 'uploads/4/multi.mp4';
    const { UploadId } = await client.send(new CreateMultipartUploadCommand({ Bucket: BUCKET, Key: key }));
    const url = await getSignedUrl(
      client,
      new UploadPartCommand({ Bucket: BUCKET, Key: key, UploadId, PartNumber: 1, ContentLength: 4 }),
      { expiresIn: 60, signableHeaders: new Set(['content-length']) },
    );
    const part = await fetch(url, { method: 'PUT', body: 'part' });
    expect(part.status).toBe(200);
    await client.send(
      new CompleteMultipartUploadCommand({
        Bucket: BUCKET,
        Key: key,
        UploadId,
        MultipartUpload: { Parts: [{ PartNumber: 1, ETag: part.headers.get('etag') ?? '' }] },
      }),
    );
    expect(await stored(key)).toBe(true);
  });
});

describe("the browser's presigned POST through the proxy", () => {
  async function post(
    fileBytes: number,
    contentType = 'video/mp4',
    key = 'uploads/5/post.mp4',
    headers: Record<string, string> = {},
  ): Promise<Response> {
    const { url, fields } = await createPresignedPost(clientOf(createTask), {
      Bucket: BUCKET,
      Key: key,
      Conditions: [
        ['eq', '$Content-Type', 'video/mp4'],
        ['content-length-range', 1, 100_000],
      ],
      Fields: { 'Content-Type': contentType },
      Expires: 60,
    });
    const form = new FormData();
    for (const [name, value] of Object.entries(fields)) form.append(name, value);
    form.append('file', new Blob([Buffer.alloc(fileBytes, 7)]), 'race.mp4');
    return fetch(url, { method: 'POST', body: form, headers });
  }

  it('stores an upload within the policy (streamed through, 204)', async () => {
    const response = await post(80_000);
    expect(response.status).toBe(204);
    const head = await direct.send(new HeadObjectCommand({ Bucket: BUCKET, Key: 'uploads/5/post.mp4' }));
    expect(head.ContentLength).toBe(80_000);
  });

  it("refuses a file larger than the policy's content-length-range and stores nothing", async () => {
    const response = await post(100_001, 'video/mp4', 'uploads/6/big.mp4');
    expect(response.status).toBe(400);
    expect(await response.text()).toMatch(/<Code>EntityTooLarge<\/Code>/);
    expect(await stored('uploads/6/big.mp4')).toBe(false);
  });

  it("a refusal carries the bucket's CORS headers, so the console can read S3's error code", async () => {
    const origin = { origin: 'http://localhost:3000' };
    const [tooLarge, badField] = await Promise.all([
      post(100_001, 'video/mp4', 'uploads/8/big.mp4', origin),
      post(10, 'text/html', 'uploads/8/page.html', origin),
    ]);
    const fromStorage = await fetch(`${storage.endpoint}/${BUCKET}`, {
      method: 'OPTIONS',
      headers: { ...origin, 'access-control-request-method': 'POST' },
    });
    const allowed = fromStorage.headers.get('access-control-allow-origin');
    expect(allowed).not.toBeNull();
    for (const refused of [tooLarge, badField]) {
      expect(refused.status).toBeGreaterThanOrEqual(400);
      expect(refused.headers.get('access-control-allow-origin')).toBe(allowed);
    }
  });

  it('refuses a form whose fields break a policy condition', async () => {
    const response = await post(10, 'text/html', 'uploads/7/page.html');
    expect(response.status).toBe(403);
    expect(await response.text()).toMatch(/Invalid according to Policy: Policy Condition failed/);
    expect(await stored('uploads/7/page.html')).toBe(false);
  });

  it("passes CORS preflights through unsigned: the answer is the storage's own", async () => {
    const preflight = (endpoint: string) =>
      fetch(`${endpoint}/${BUCKET}`, {
        method: 'OPTIONS',
        headers: { origin: 'http://localhost:3000', 'access-control-request-method': 'POST' },
      });
    const [viaProxy, fromStorage] = await Promise.all([preflight(proxy.url), preflight(storage.endpoint)]);
    expect(viaProxy.status).toBe(200);
    expect(viaProxy.status).toBe(fromStorage.status);
    expect(viaProxy.headers.get('access-control-allow-methods')).toBe(
      fromStorage.headers.get('access-control-allow-methods'),
    );
    expect(viaProxy.headers.get('access-control-allow-origin')).toBe(
      fromStorage.headers.get('access-control-allow-origin'),
    );
  });
});
