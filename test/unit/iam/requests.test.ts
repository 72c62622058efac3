/**
 * The command → IAM request mapping, for every AWS SDK command the project sends: each is built by the real
 * SDK v3 client (a request handler captures the HTTP request instead of sending it) or presigner, mapped as the
 * enforcement points map it, and checked against AWS's service authorization reference.
 */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import {
  AdminAddUserToGroupCommand,
  AdminCreateUserCommand,
  AdminDeleteUserCommand,
  AdminDisableUserCommand,
  AdminEnableUserCommand,
  AdminGetUserCommand,
  AdminListGroupsForUserCommand,
  AdminRemoveUserFromGroupCommand,
  AdminSetUserPasswordCommand,
  AdminUpdateUserAttributesCommand,
  AdminUserGlobalSignOutCommand,
  ConfirmForgotPasswordCommand,
  CreateGroupCommand,
  ForgotPasswordCommand,
  ListGroupsCommand,
  RevokeTokenCommand,
  UpdateUserPoolClientCommand,
  UpdateUserPoolCommand,
  CognitoIdentityProviderClient,
  CreateUserPoolClientCommand,
  CreateUserPoolCommand,
  InitiateAuthCommand,
  ListUserPoolClientsCommand,
  ListUserPoolsCommand,
  ListUsersInGroupCommand,
} from '@aws-sdk/client-cognito-identity-provider';
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { CreateJobCommand, MediaConvertClient } from '@aws-sdk/client-mediaconvert';
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListMultipartUploadsCommand,
  ListObjectVersionsCommand,
  ListObjectsV2Command,
  ListPartsCommand,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import {
  GetQueueAttributesCommand,
  GetQueueUrlCommand,
  ListMessageMoveTasksCommand,
  ReceiveMessageCommand,
  SQSClient,
  SendMessageBatchCommand,
  SendMessageCommand,
  StartMessageMoveTaskCommand,
} from '@aws-sdk/client-sqs';
import { createPresignedPost } from '@aws-sdk/s3-presigned-post';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { describe, expect, it } from 'vitest';
import { S3MultipartUploads } from '#adapters/s3/multipart-uploads';
import type { IamRequest } from '#infra/local/iam/policy';
import {
  type MappedCall,
  type S3HttpRequest,
  isBatchDelete,
  s3Call,
  s3DeleteObjectsCall,
  s3PostObjectCall,
} from '#infra/local/iam/s3-requests';
import { referenceAction, resourceArnPatterns } from '#infra/local/iam/service-reference';
import {
  type AwsLocation,
  jsonProtocolCall,
  lambdaCall,
  mediaConvertCall,
  rdsConnectCall,
} from '#infra/local/iam/service-requests';
import { parseQuery } from '#infra/local/iam/sigv4';
import { type SignedSdkRequest, captured, capturingConfig, localRdsSigner } from '#test/helpers/iam';

const location: AwsLocation = { region: 'us-east-1', accountId: '000000000000' };
const ENDPOINT = 'http://127.0.0.1:4569';
const BUCKET = 'idrl-videos';
const KEY = 'uploads/7/n1 race.mp4';
const OBJECT = `arn:aws:s3:::${BUCKET}/${KEY}`;
const credentials = { accessKeyId: 'AKIDLOCALTEST', secretAccessKey: 'secret' };
const POOL_ID = 'us-east-1_local';
const POOL = `arn:aws:cognito-idp:us-east-1:000000000000:userpool/${POOL_ID}`;
const QUEUE_URL = 'http://localhost:3000/000000000000/idrl-uploads';
const QUEUE = 'arn:aws:sqs:us-east-1:000000000000:idrl-uploads';
const DLQ = 'arn:aws:sqs:us-east-1:000000000000:idrl-uploads-dlq';

/** A client option that hands the signed request back instead of sending it. */
const capturing = capturingConfig(credentials, location.region);

function lowerHeaders(headers: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(headers).map(([name, value]) => [name.toLowerCase(), value]));
}

function s3Request(request: SignedSdkRequest): S3HttpRequest {
  const query: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(request.query))
    if (value !== undefined) query[name] = value ?? '';
  return {
    method: request.method,
    path: request.path,
    query,
    headers: lowerHeaders(request.headers),
    authType: 'REST-HEADER',
  };
}

/** A presigned URL as the browser sends it: the proxy's own parsing. */
function presignedRequest(method: string, url: string): S3HttpRequest {
  const parsed = new URL(url);
  return {
    method,
    path: parsed.pathname,
    query: parseQuery(parsed.search.slice(1)),
    headers: { host: parsed.host },
    authType: 'REST-QUERY-STRING',
  };
}

function jsonBody(request: SignedSdkRequest): Record<string, unknown> {
  return JSON.parse(bodyText(request)) as Record<string, unknown>;
}

function bodyText(request: SignedSdkRequest): string {
  const { body } = request;
  if (typeof body === 'string') return body;
  if (body instanceof Uint8Array) return Buffer.from(body).toString('utf8');
  throw new Error('Expected a buffered body');
}

const s3 = new S3Client({ ...capturing, endpoint: ENDPOINT, forcePathStyle: true });
// The clients' `send` overloads take their own command union; each helper is handed one of those commands.
const sendS3 = async (command: object) => s3Call(s3Request(await captured(() => s3.send(command as never))));
const cognito = new CognitoIdentityProviderClient({ ...capturing, endpoint: 'http://localhost:9229' });
const sendCognito = async (command: object) => {
  const request = await captured(() => cognito.send(command as never));
  return jsonProtocolCall(lowerHeaders(request.headers)['x-amz-target'] ?? '', jsonBody(request), location);
};
const sqs = new SQSClient({ ...capturing, endpoint: 'http://localhost:3000' });
const sendSqs = async (command: object) => {
  const request = await captured(() => sqs.send(command as never));
  return jsonProtocolCall(lowerHeaders(request.headers)['x-amz-target'] ?? '', jsonBody(request), location);
};

function only(call: MappedCall): IamRequest {
  expect(call.requests).toHaveLength(1);
  const [request] = call.requests;
  if (request === undefined) throw new Error('no request');
  return request;
}

/** `arn:${Partition}:s3:::${BucketName}/${ObjectName}` → a regular expression over concrete ARNs. */
function patternRegex(pattern: string): RegExp {
  const parts = pattern.split(/\$\{[^}]+\}/);
  const names = [...pattern.matchAll(/\$\{([^}]+)\}/g)].map((match) => match[1]);
  const body = parts
    .map((part, index) => {
      const escaped = part.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
      const name = names[index];
      if (name === undefined) return escaped;
      // Object keys and role paths hold slashes; a function ARN may carry a version or alias qualifier.
      if (name === 'ObjectName' || name === 'RoleNameWithPath') return `${escaped}.+`;
      return `${escaped}${name === 'FunctionName' ? '[^:]+(?::[^:]+)?' : '[^:]+'}`;
    })
    .join('');
  return new RegExp(`^${body}$`);
}

/** Every mapped request names an action AWS defines, a resource of one of its types, and only its keys. */
function expectValidAgainstReference(call: MappedCall): void {
  for (const request of call.requests) {
    const reference = referenceAction(request.action);
    if (request.resource !== '*') {
      const patterns = resourceArnPatterns(request.action);
      expect(
        patterns.some((pattern) => patternRegex(pattern).test(request.resource)),
        `${request.resource} is a resource of ${request.action} (${patterns.join(', ')})`,
      ).toBe(true);
    }
    const supplied = new Set(reference.conditionKeys.map((key) => key.toLowerCase()));
    for (const key of Object.keys(request.context))
      expect(
        key.startsWith('aws:') || supplied.has(key.toLowerCase()),
        `${request.action} supplies ${key}`,
      ).toBe(true);
  }
}

/** Each command the project sends, by name, with what AWS authorizes for it. */
const COMMANDS: Record<string, () => Promise<void>> = {
  // S3: the object store and the multipart uploads (functions/adapters/s3/).
  async CreateMultipartUploadCommand() {
    const call = await sendS3(
      new CreateMultipartUploadCommand({ Bucket: BUCKET, Key: KEY, ContentType: 'video/mp4' }),
    );
    expect(call.operation).toBe('CreateMultipartUpload');
    expect(only(call)).toMatchObject({ action: 's3:PutObject', resource: OBJECT });
    expectValidAgainstReference(call);
  },
  // The part URL as the API presigns it (S3MultipartUploads.presignUploadPart).
  async UploadPartCommand() {
    const url = await new S3MultipartUploads(s3, BUCKET).presignUploadPart({
      key: KEY,
      uploadId: 'u1',
      partNumber: 2,
      contentLength: 5,
      expiresInSeconds: 60,
    });
    const call = s3Call(presignedRequest('PUT', url));
    expect(call.operation).toBe('UploadPart');
    expect(only(call)).toMatchObject({
      action: 's3:PutObject',
      resource: OBJECT,
      context: { 's3:authType': 'REST-QUERY-STRING', 's3:signatureversion': 'AWS4-HMAC-SHA256' },
    });
    expectValidAgainstReference(call);
  },
  async ListPartsCommand() {
    const call = await sendS3(
      new ListPartsCommand({ Bucket: BUCKET, Key: KEY, UploadId: 'u1', PartNumberMarker: '2' }),
    );
    expect(only(call)).toMatchObject({ action: 's3:ListMultipartUploadParts', resource: OBJECT });
    expectValidAgainstReference(call);
  },
  async CompleteMultipartUploadCommand() {
    const call = await sendS3(
      new CompleteMultipartUploadCommand({
        Bucket: BUCKET,
        Key: KEY,
        UploadId: 'u1',
        MultipartUpload: { Parts: [{ PartNumber: 1, ETag: '"e"' }] },
      }),
    );
    expect(call.operation).toBe('CompleteMultipartUpload');
    expect(only(call)).toMatchObject({ action: 's3:PutObject', resource: OBJECT });
    expectValidAgainstReference(call);
  },
  async AbortMultipartUploadCommand() {
    const call = await sendS3(new AbortMultipartUploadCommand({ Bucket: BUCKET, Key: KEY, UploadId: 'u1' }));
    expect(only(call)).toMatchObject({ action: 's3:AbortMultipartUpload', resource: OBJECT });
    expectValidAgainstReference(call);
  },
  async ListMultipartUploadsCommand() {
    const call = await sendS3(
      new ListMultipartUploadsCommand({
        Bucket: BUCKET,
        Prefix: 'uploads/7/',
        KeyMarker: 'k',
        UploadIdMarker: 'u',
      }),
    );
    const request = only(call);
    expect(request).toMatchObject({
      action: 's3:ListBucketMultipartUploads',
      resource: `arn:aws:s3:::${BUCKET}`,
    });
    // S3 supplies s3:prefix for ListBucket and ListBucketVersions only: a condition on it cannot hold here.
    expect(request.context).not.toHaveProperty('s3:prefix');
    expectValidAgainstReference(call);
  },
  // The MediaConvert worker's copy of the task's version for the job (docs/worker.md, "Single-use uploads").
  async CopyObjectCommand() {
    const call = await sendS3(
      new CopyObjectCommand({
        Bucket: BUCKET,
        Key: 'processed/1/mediaconvert-source',
        CopySource: `${BUCKET}/uploads/1/v.mp4?versionId=v3`,
      }),
    );
    expect(call.requests.map(({ action, resource }) => ({ action, resource }))).toEqual([
      { action: 's3:PutObject', resource: `arn:aws:s3:::${BUCKET}/processed/1/mediaconvert-source` },
      { action: 's3:GetObjectVersion', resource: `arn:aws:s3:::${BUCKET}/uploads/1/v.mp4` },
    ]);
    expectValidAgainstReference(call);
  },
  async DeleteObjectCommand() {
    const call = await sendS3(new DeleteObjectCommand({ Bucket: BUCKET, Key: KEY }));
    expect(only(call)).toMatchObject({ action: 's3:DeleteObject', resource: OBJECT });
    const versioned = await sendS3(new DeleteObjectCommand({ Bucket: BUCKET, Key: KEY, VersionId: 'v1' }));
    expect(only(versioned)).toMatchObject({ action: 's3:DeleteObjectVersion', resource: OBJECT });
    expectValidAgainstReference(call);
    expectValidAgainstReference(versioned);
  },
  async GetObjectCommand() {
    const call = await sendS3(
      new GetObjectCommand({ Bucket: BUCKET, Key: KEY, Range: 'bytes=0-9', IfMatch: '"e"' }),
    );
    expect(only(call)).toMatchObject({
      action: 's3:GetObject',
      resource: OBJECT,
      context: { 's3:authType': 'REST-HEADER' },
    });
    const versioned = await sendS3(new GetObjectCommand({ Bucket: BUCKET, Key: KEY, VersionId: 'v1' }));
    expect(only(versioned)).toMatchObject({ action: 's3:GetObjectVersion', resource: OBJECT });
    // The download URL the gallery hands out, with its Content-Disposition override.
    const url = await getSignedUrl(
      s3,
      new GetObjectCommand({
        Bucket: BUCKET,
        Key: KEY,
        ResponseContentDisposition: 'attachment; filename="a.mp4"',
      }),
      { expiresIn: 600 },
    );
    const presigned = s3Call(presignedRequest('GET', url));
    expect(only(presigned)).toMatchObject({ action: 's3:GetObject', resource: OBJECT });
    // The original's download URL names the version its task recorded: GetObjectVersion.
    const versionUrl = await getSignedUrl(
      s3,
      new GetObjectCommand({ Bucket: BUCKET, Key: KEY, VersionId: 'v1' }),
      { expiresIn: 600 },
    );
    const presignedVersion = s3Call(presignedRequest('GET', versionUrl));
    expect(only(presignedVersion)).toMatchObject({ action: 's3:GetObjectVersion', resource: OBJECT });
    for (const each of [call, versioned, presigned, presignedVersion]) expectValidAgainstReference(each);
  },
  async HeadObjectCommand() {
    const call = await sendS3(new HeadObjectCommand({ Bucket: BUCKET, Key: KEY }));
    expect(call.operation).toBe('HeadObject');
    expect(only(call)).toMatchObject({ action: 's3:GetObject', resource: OBJECT });
    const versioned = await sendS3(new HeadObjectCommand({ Bucket: BUCKET, Key: KEY, VersionId: 'v1' }));
    expect(only(versioned)).toMatchObject({ action: 's3:GetObjectVersion', resource: OBJECT });
    expectValidAgainstReference(call);
    expectValidAgainstReference(versioned);
  },
  // The local stack's reconciliation lists pending uploads (infra/local/stack.ts).
  async ListObjectsV2Command() {
    const call = await sendS3(
      new ListObjectsV2Command({ Bucket: BUCKET, Prefix: 'uploads/', Delimiter: '/', MaxKeys: 5 }),
    );
    expect(only(call)).toMatchObject({
      action: 's3:ListBucket',
      resource: `arn:aws:s3:::${BUCKET}`,
      context: { 's3:prefix': 'uploads/', 's3:delimiter': '/', 's3:max-keys': '5' },
    });
    expectValidAgainstReference(call);
  },
  async PutObjectCommand() {
    const call = await sendS3(
      new PutObjectCommand({ Bucket: BUCKET, Key: KEY, Body: 'x', ContentType: 'video/mp4' }),
    );
    expect(only(call)).toMatchObject({ action: 's3:PutObject', resource: OBJECT });
    expectValidAgainstReference(call);
  },
  async createPresignedPost() {
    const { url, fields } = await createPresignedPost(s3, {
      Bucket: BUCKET,
      Key: KEY,
      Conditions: [['content-length-range', 1, 10]],
      Expires: 60,
    });
    expect(fields.key).toBe(KEY);
    const call = s3PostObjectCall(BUCKET, fields.key ?? '', {
      method: 'POST',
      path: new URL(url).pathname,
      query: {},
      headers: {},
      authType: 'POST',
    });
    expect(only(call)).toMatchObject({
      action: 's3:PutObject',
      resource: OBJECT,
      context: { 's3:authType': 'POST' },
    });
    expectValidAgainstReference(call);
  },
  // Cognito: sign-up, account deletion and sign-in (functions/adapters/cognito/), the local pool set-up.
  async AdminCreateUserCommand() {
    const call = await sendCognito(new AdminCreateUserCommand({ UserPoolId: POOL_ID, Username: 'pilot' }));
    expect(only(call)).toEqual({ action: 'cognito-idp:AdminCreateUser', resource: POOL, context: {} });
    expectValidAgainstReference(call);
  },
  async AdminSetUserPasswordCommand() {
    const call = await sendCognito(
      new AdminSetUserPasswordCommand({
        UserPoolId: POOL_ID,
        Username: 'pilot',
        Password: 'p',
        Permanent: true,
      }),
    );
    expect(only(call)).toMatchObject({ action: 'cognito-idp:AdminSetUserPassword', resource: POOL });
    expectValidAgainstReference(call);
  },
  async AdminDeleteUserCommand() {
    const call = await sendCognito(new AdminDeleteUserCommand({ UserPoolId: POOL_ID, Username: 'pilot' }));
    expect(only(call)).toMatchObject({ action: 'cognito-idp:AdminDeleteUser', resource: POOL });
    expectValidAgainstReference(call);
  },
  async AdminGetUserCommand() {
    const call = await sendCognito(new AdminGetUserCommand({ UserPoolId: POOL_ID, Username: 'pilot' }));
    expect(only(call)).toMatchObject({ action: 'cognito-idp:AdminGetUser', resource: POOL });
    expectValidAgainstReference(call);
  },
  async AdminListGroupsForUserCommand() {
    const call = await sendCognito(
      new AdminListGroupsForUserCommand({ UserPoolId: POOL_ID, Username: 'pilot' }),
    );
    expect(only(call)).toMatchObject({ action: 'cognito-idp:AdminListGroupsForUser', resource: POOL });
    expectValidAgainstReference(call);
  },
  async AdminDisableUserCommand() {
    const call = await sendCognito(new AdminDisableUserCommand({ UserPoolId: POOL_ID, Username: 'pilot' }));
    expect(only(call)).toMatchObject({ action: 'cognito-idp:AdminDisableUser', resource: POOL });
    expectValidAgainstReference(call);
  },
  async AdminEnableUserCommand() {
    const call = await sendCognito(new AdminEnableUserCommand({ UserPoolId: POOL_ID, Username: 'pilot' }));
    expect(only(call)).toMatchObject({ action: 'cognito-idp:AdminEnableUser', resource: POOL });
    expectValidAgainstReference(call);
  },
  async AdminUserGlobalSignOutCommand() {
    const call = await sendCognito(
      new AdminUserGlobalSignOutCommand({ UserPoolId: POOL_ID, Username: 'pilot' }),
    );
    expect(only(call)).toMatchObject({ action: 'cognito-idp:AdminUserGlobalSignOut', resource: POOL });
    expectValidAgainstReference(call);
  },
  async AdminUpdateUserAttributesCommand() {
    const call = await sendCognito(
      new AdminUpdateUserAttributesCommand({
        UserPoolId: POOL_ID,
        Username: 'pilot',
        UserAttributes: [{ Name: 'email_verified', Value: 'true' }],
        ClientMetadata: { verificationCode: '123456' },
      }),
    );
    expect(only(call)).toMatchObject({ action: 'cognito-idp:AdminUpdateUserAttributes', resource: POOL });
    expectValidAgainstReference(call);
  },
  // Public, like InitiateAuth: the password reset and the logout are not authorized with IAM.
  async ForgotPasswordCommand() {
    const call = await sendCognito(new ForgotPasswordCommand({ ClientId: 'c', Username: 'pilot' }));
    expect(call).toEqual({ operation: 'ForgotPassword', requests: [] });
  },
  async ConfirmForgotPasswordCommand() {
    const call = await sendCognito(
      new ConfirmForgotPasswordCommand({
        ClientId: 'c',
        Username: 'pilot',
        ConfirmationCode: '123456',
        Password: 'p',
      }),
    );
    expect(call).toEqual({ operation: 'ConfirmForgotPassword', requests: [] });
  },
  async RevokeTokenCommand() {
    const call = await sendCognito(new RevokeTokenCommand({ ClientId: 'c', Token: 't' }));
    expect(call).toEqual({ operation: 'RevokeToken', requests: [] });
  },
  async InitiateAuthCommand() {
    // Public: Cognito evaluates no IAM policy for it.
    const call = await sendCognito(
      new InitiateAuthCommand({
        ClientId: 'c',
        AuthFlow: 'USER_PASSWORD_AUTH',
        AuthParameters: { USERNAME: 'p' },
      }),
    );
    expect(call).toEqual({ operation: 'InitiateAuth', requests: [] });
  },
  async CreateUserPoolCommand() {
    const call = await sendCognito(new CreateUserPoolCommand({ PoolName: 'idrl-local' }));
    expect(only(call)).toMatchObject({ action: 'cognito-idp:CreateUserPool', resource: '*' });
    expectValidAgainstReference(call);
  },
  async ListUserPoolsCommand() {
    const call = await sendCognito(new ListUserPoolsCommand({ MaxResults: 60 }));
    expect(only(call)).toMatchObject({ action: 'cognito-idp:ListUserPools', resource: '*' });
    expectValidAgainstReference(call);
  },
  async CreateUserPoolClientCommand() {
    const call = await sendCognito(
      new CreateUserPoolClientCommand({ UserPoolId: POOL_ID, ClientName: 'idrl-web' }),
    );
    expect(only(call)).toMatchObject({ action: 'cognito-idp:CreateUserPoolClient', resource: POOL });
    expectValidAgainstReference(call);
  },
  async UpdateUserPoolClientCommand() {
    const call = await sendCognito(new UpdateUserPoolClientCommand({ UserPoolId: POOL_ID, ClientId: 'c' }));
    expect(only(call)).toMatchObject({ action: 'cognito-idp:UpdateUserPoolClient', resource: POOL });
    expectValidAgainstReference(call);
  },
  async UpdateUserPoolCommand() {
    const call = await sendCognito(new UpdateUserPoolCommand({ UserPoolId: POOL_ID }));
    expect(only(call)).toMatchObject({ action: 'cognito-idp:UpdateUserPool', resource: POOL });
    expectValidAgainstReference(call);
  },
  async CreateGroupCommand() {
    const call = await sendCognito(
      new CreateGroupCommand({ UserPoolId: POOL_ID, GroupName: 'league-admins' }),
    );
    expect(only(call)).toMatchObject({ action: 'cognito-idp:CreateGroup', resource: POOL });
    expectValidAgainstReference(call);
  },
  async ListGroupsCommand() {
    const call = await sendCognito(new ListGroupsCommand({ UserPoolId: POOL_ID }));
    expect(only(call)).toMatchObject({ action: 'cognito-idp:ListGroups', resource: POOL });
    expectValidAgainstReference(call);
  },
  async ListUserPoolClientsCommand() {
    const call = await sendCognito(new ListUserPoolClientsCommand({ UserPoolId: POOL_ID, MaxResults: 60 }));
    expect(only(call)).toMatchObject({ action: 'cognito-idp:ListUserPoolClients', resource: POOL });
    expectValidAgainstReference(call);
  },
  // `npm run admin` (infra/bin/admin.ts): the operator names the league's admins; locally through the Cognito proxy.
  async AdminAddUserToGroupCommand() {
    const call = await sendCognito(
      new AdminAddUserToGroupCommand({ UserPoolId: POOL_ID, Username: 'pilot', GroupName: 'league-admins' }),
    );
    expect(only(call)).toEqual({ action: 'cognito-idp:AdminAddUserToGroup', resource: POOL, context: {} });
    expectValidAgainstReference(call);
  },
  async AdminRemoveUserFromGroupCommand() {
    const call = await sendCognito(
      new AdminRemoveUserFromGroupCommand({
        UserPoolId: POOL_ID,
        Username: 'pilot',
        GroupName: 'league-admins',
      }),
    );
    expect(only(call)).toEqual({
      action: 'cognito-idp:AdminRemoveUserFromGroup',
      resource: POOL,
      context: {},
    });
    expectValidAgainstReference(call);
  },
  async ListUsersInGroupCommand() {
    const call = await sendCognito(
      new ListUsersInGroupCommand({ UserPoolId: POOL_ID, GroupName: 'league-admins' }),
    );
    expect(only(call)).toEqual({ action: 'cognito-idp:ListUsersInGroup', resource: POOL, context: {} });
    expectValidAgainstReference(call);
  },
  // CloudFormation has no local twin (locally the banner gives the pool id): the SDK's query-protocol request names the
  // action, and AWS's reference checks it with the stack ARN that docs/operations.md grants the operator.
  async DescribeStacksCommand() {
    const client = new CloudFormationClient({ ...capturing, endpoint: 'http://127.0.0.1:3000' });
    const request = await captured(() =>
      client.send(new DescribeStacksCommand({ StackName: 'IdrlVideoPlatform' })),
    );
    const form = new URLSearchParams(bodyText(request));
    expect({ action: form.get('Action'), stack: form.get('StackName') }).toEqual({
      action: 'DescribeStacks',
      stack: 'IdrlVideoPlatform',
    });
    expectValidAgainstReference({
      operation: 'DescribeStacks',
      requests: [
        {
          action: `cloudformation:${form.get('Action') ?? ''}`,
          resource: `arn:aws:cloudformation:us-east-1:000000000000:stack/${form.get('StackName') ?? ''}/*`,
          context: {},
        },
      ],
    });
  },
  // Lambda: the functions outside the VPC invoking those inside it.
  async InvokeCommand() {
    const lambda = new LambdaClient({ ...capturing, endpoint: 'http://127.0.0.1:3000' });
    for (const [FunctionName, resource] of [
      ['purge-account', 'arn:aws:lambda:us-east-1:000000000000:function:purge-account'],
      [
        'arn:aws:lambda:us-east-1:000000000000:function:sweep-tasks:live',
        'arn:aws:lambda:us-east-1:000000000000:function:sweep-tasks:live',
      ],
    ] as const) {
      const request = await captured(() =>
        lambda.send(new InvokeCommand({ FunctionName, Payload: Buffer.from('{}') })),
      );
      const call = lambdaCall({ method: request.method, path: request.path, query: {} }, location);
      expect(only(call)).toEqual({ action: 'lambda:InvokeFunction', resource, context: {} });
      expectValidAgainstReference(call);
    }
  },
  // SQS: the requeues (upload-queue.ts) and the redrive command (dead-letter-queue.ts).
  async SendMessageBatchCommand() {
    const call = await sendSqs(
      new SendMessageBatchCommand({ QueueUrl: QUEUE_URL, Entries: [{ Id: '1', MessageBody: '{}' }] }),
    );
    expect(only(call)).toEqual({ action: 'sqs:SendMessage', resource: QUEUE, context: {} });
    expectValidAgainstReference(call);
  },
  // SQS: a reported play (view-queue.ts), on the views queue.
  async SendMessageCommand() {
    const views = 'http://localhost:3000/000000000000/idrl-views-queue';
    const call = await sendSqs(new SendMessageCommand({ QueueUrl: views, MessageBody: '{}' }));
    expect(only(call)).toEqual({
      action: 'sqs:SendMessage',
      resource: 'arn:aws:sqs:us-east-1:000000000000:idrl-views-queue',
      context: {},
    });
    expectValidAgainstReference(call);
  },
  async GetQueueUrlCommand() {
    const call = await sendSqs(new GetQueueUrlCommand({ QueueName: 'idrl-uploads-dlq' }));
    expect(only(call)).toMatchObject({ action: 'sqs:GetQueueUrl', resource: DLQ });
    expectValidAgainstReference(call);
  },
  async GetQueueAttributesCommand() {
    const call = await sendSqs(
      new GetQueueAttributesCommand({
        QueueUrl: `${QUEUE_URL}-dlq`,
        AttributeNames: ['ApproximateNumberOfMessages'],
      }),
    );
    expect(only(call)).toMatchObject({ action: 'sqs:GetQueueAttributes', resource: DLQ });
    expectValidAgainstReference(call);
  },
  async ReceiveMessageCommand() {
    const call = await sendSqs(
      new ReceiveMessageCommand({ QueueUrl: `${QUEUE_URL}-dlq`, VisibilityTimeout: 0 }),
    );
    expect(only(call)).toMatchObject({ action: 'sqs:ReceiveMessage', resource: DLQ });
    expectValidAgainstReference(call);
  },
  async StartMessageMoveTaskCommand() {
    const call = await sendSqs(new StartMessageMoveTaskCommand({ SourceArn: DLQ }));
    expect(only(call)).toMatchObject({ action: 'sqs:StartMessageMoveTask', resource: DLQ });
    expectValidAgainstReference(call);
  },
  async ListMessageMoveTasksCommand() {
    const call = await sendSqs(new ListMessageMoveTasksCommand({ SourceArn: DLQ }));
    expect(only(call)).toMatchObject({ action: 'sqs:ListMessageMoveTasks', resource: DLQ });
    expectValidAgainstReference(call);
  },
  // MediaConvert: the job submitter (processor=mediaconvert).
  async CreateJobCommand() {
    const client = new MediaConvertClient({ ...capturing, endpoint: 'http://127.0.0.1:3000' });
    const queue = 'arn:aws:mediaconvert:us-east-1:000000000000:queues/idrl';
    const role = 'arn:aws:iam::000000000000:role/MediaConvertServiceRole';
    const request = await captured(() =>
      client.send(new CreateJobCommand({ Queue: queue, Role: role, Settings: {} })),
    );
    const call = mediaConvertCall(request, jsonBody(request), location);
    expect(call.requests).toEqual([
      { action: 'mediaconvert:CreateJob', resource: queue, context: {} },
      {
        action: 'iam:PassRole',
        resource: role,
        context: { 'iam:PassedToService': 'mediaconvert.amazonaws.com' },
      },
    ]);
    expectValidAgainstReference(call);
  },
  // Secrets Manager: the migration launcher reads the database secret.
  async GetSecretValueCommand() {
    const client = new SecretsManagerClient({ ...capturing, endpoint: 'http://127.0.0.1:3000' });
    const secret = 'arn:aws:secretsmanager:us-east-1:000000000000:secret:idrl-db-AbCdEf';
    const request = await captured(() => client.send(new GetSecretValueCommand({ SecretId: secret })));
    const call = jsonProtocolCall(
      lowerHeaders(request.headers)['x-amz-target'] ?? '',
      jsonBody(request),
      location,
    );
    expect(only(call)).toEqual({
      action: 'secretsmanager:GetSecretValue',
      resource: secret,
      context: { 'secretsmanager:SecretId': secret },
    });
    expectValidAgainstReference(call);
  },
  // RDS IAM authentication: the pool's password is a connect token.
  async Signer() {
    const token = await localRdsSigner(credentials).getAuthToken();
    const query = parseQuery(token.slice(token.indexOf('/?') + 2));
    expect(query).toMatchObject({ Action: 'connect', DBUser: 'idrl_app' });
    const call = rdsConnectCall('db-ABCDEFGHIJKL', 'idrl_app', location);
    expect(only(call)).toEqual({
      action: 'rds-db:connect',
      resource: 'arn:aws:rds-db:us-east-1:000000000000:dbuser:db-ABCDEFGHIJKL/idrl_app',
      context: {},
    });
    expectValidAgainstReference(call);
  },
};

/**
 * `new XxxCommand(`, the presigned POST and the RDS signer in the code that runs (functions/, infra/local/, and the
 * operator's commands in infra/bin/).
 */
function commandsInSource(): Set<string> {
  const found = new Set<string>();
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir)) {
      const path = join(dir, entry);
      if (path === join('infra', 'local', 'iam')) continue;
      if (statSync(path).isDirectory()) walk(path);
      else if (path.endsWith('.ts')) {
        const text = readFileSync(path, 'utf8');
        for (const match of text.matchAll(/new ([A-Z]\w*Command)\(/g)) found.add(match[1] ?? '');
        if (/\bcreatePresignedPost\(/.test(text)) found.add('createPresignedPost');
        if (/\bnew Signer\(/.test(text)) found.add('Signer');
      }
    }
  };
  for (const root of ['functions', join('infra', 'local'), join('infra', 'bin')]) walk(root);
  return found;
}

describe('the IAM mapping of every AWS call the project makes', () => {
  it('covers exactly the commands the code sends (a new command without a mapping fails here)', () => {
    expect(new Set(Object.keys(COMMANDS))).toEqual(commandsInSource());
  });

  it.each(Object.entries(COMMANDS))('%s', async (_name, check) => {
    await check();
  });
});

describe('S3 requests the project does not send today, mapped as S3 authorizes them', () => {
  it('ListObjectVersions is s3:ListBucketVersions with s3:prefix', async () => {
    const call = await sendS3(new ListObjectVersionsCommand({ Bucket: BUCKET, Prefix: 'uploads/' }));
    expect(only(call)).toMatchObject({
      action: 's3:ListBucketVersions',
      context: { 's3:prefix': 'uploads/' },
    });
    expectValidAgainstReference(call);
  });

  it('a batch delete authorizes each key on its own, versions as DeleteObjectVersion', async () => {
    const request = s3Request(
      await captured(() =>
        s3.send(
          new DeleteObjectsCommand({
            Bucket: BUCKET,
            Delete: { Objects: [{ Key: 'uploads/a&b.mp4' }, { Key: 'processed/c', VersionId: 'v2' }] },
          }),
        ),
      ),
    );
    expect(isBatchDelete(request)).toBe(true);
    expect(() => s3Call(request)).toThrow(/body/);
    const body = await captured(() =>
      s3.send(
        new DeleteObjectsCommand({
          Bucket: BUCKET,
          Delete: { Objects: [{ Key: 'uploads/a&b.mp4' }, { Key: 'processed/c', VersionId: 'v2' }] },
        }),
      ),
    );
    const call = s3DeleteObjectsCall(request, bodyText(body));
    expect(call.requests.map(({ action, resource }) => ({ action, resource }))).toEqual([
      { action: 's3:DeleteObject', resource: `arn:aws:s3:::${BUCKET}/uploads/a&b.mp4` },
      { action: 's3:DeleteObjectVersion', resource: `arn:aws:s3:::${BUCKET}/processed/c` },
    ]);
    expectValidAgainstReference(call);
  });

  it('refuses to map what it does not know instead of guessing', () => {
    expect(() =>
      s3Call({
        method: 'PUT',
        path: `/${BUCKET}`,
        query: { policy: '' },
        headers: {},
        authType: 'REST-HEADER',
      }),
    ).toThrow(/bucket/);
    expect(() => jsonProtocolCall('DynamoDB_20120810.GetItem', {}, location)).toThrow(/DynamoDB/);
  });
});
