/**
 * The pieces the local IAM tests share: the principals a test enforcer knows, the RDS signer of their database
 * tokens, the S3 gateway endpoint's policy, and an SDK client option that captures the request the real SDK
 * signed, instead of sending it, so that a test can hand it to an enforcement point as that point receives it.
 */
import { Signer } from '@aws-sdk/rds-signer';
import { type IamEnforcer, type LocalPrincipal, createIamEnforcer } from '#infra/local/iam/enforcer';
import type { Endpoint } from '#infra/local/iam/endpoint';
import { startJsonServiceProxy } from '#infra/local/iam/json-service-proxy';
import { unrestrictedPrincipal } from '#infra/local/principals';
import type { PolicyDocument } from '#infra/local/iam/policy';
import { LOCAL_ACCOUNT_ID } from '#infra/local/lambda-context';
import { S3RVER_CREDENTIALS } from '#infra/local/services/s3';

/**
 * A function's execution role as the enforcer knows it: access key, secret and role named after the function
 * (so a test's denial lines name it), its statements as one identity policy, in the local account.
 */
export function testPrincipal(
  name: string,
  statements: PolicyDocument['Statement'],
  { inVpc = false }: { inVpc?: boolean } = {},
): LocalPrincipal {
  return {
    accessKeyId: `AKID${name.toUpperCase().replace(/-/g, '')}`,
    secretAccessKey: `${name}-secret`,
    roleArn: `arn:aws:iam::${LOCAL_ACCOUNT_ID}:role/${name}-role`,
    functionName: name,
    policies: { DefaultPolicy: { Version: '2012-10-17', Statement: statements } },
    inVpc,
  };
}

/**
 * An enforcer for a gateway of a test whose functions run without their roles: it verifies signatures made with
 * these keys (the handler environment's, S3RVER by default) and allows their calls, as a stack with
 * LOCAL_IAM=off does; a request signed with anything else is refused.
 */
export function signatureOnlyIam(
  credentials: { accessKeyId: string; secretAccessKey: string } = S3RVER_CREDENTIALS,
): IamEnforcer {
  return createIamEnforcer({
    location: { region: 'us-east-1', accountId: LOCAL_ACCOUNT_ID },
    principals: [unrestrictedPrincipal(LOCAL_ACCOUNT_ID, credentials)],
    log: () => undefined,
  });
}

/**
 * The local stack's Cognito enforcement point in front of the integration services' cognito-local, knowing only these
 * principals (in the integration environment's region and the local account).
 */
export function cognitoEnforcementProxy(
  principals: LocalPrincipal[],
  log: (line: string) => void = () => undefined,
): Promise<Endpoint> {
  return startJsonServiceProxy({
    iam: createIamEnforcer({
      location: { region: process.env.AWS_REGION ?? 'us-east-1', accountId: LOCAL_ACCOUNT_ID },
      principals,
      log,
    }),
    upstream: process.env.COGNITO_ENDPOINT ?? '',
    port: 0,
    secureTransport: true,
  });
}

/**
 * The headers of a request as a web page could write them (DNS rebinding makes it same-origin with the gateway):
 * a well-formed SigV4 Authorization for a key the stack knows, dated now, whose signature is all zeros.
 */
export function forgedSigV4Headers(accessKeyId: string, service: string): Record<string, string> {
  const date = new Date()
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}/, '');
  const scope = `${date.slice(0, 8)}/us-east-1/${service}/aws4_request`;
  return {
    'x-amz-date': date,
    authorization: `AWS4-HMAC-SHA256 Credential=${accessKeyId}/${scope}, SignedHeaders=host;x-amz-date, Signature=${'0'.repeat(64)}`,
  };
}

/**
 * The RDS signer as the functions' IAM pool builds it (functions/commons/clients.ts), with a test's keys, for a
 * database on this machine: its `getAuthToken()` is the password the pool sends.
 */
export function localRdsSigner(
  { accessKeyId, secretAccessKey }: { accessKeyId: string; secretAccessKey: string },
  { port = 5433, username = 'idrl_app' }: { port?: number; username?: string } = {},
): Signer {
  return new Signer({
    hostname: 'localhost',
    port,
    username,
    region: 'us-east-1',
    credentials: { accessKeyId, secretAccessKey },
  });
}

/** The parts of the SDK's signed HTTP request that an enforcement point reads. */
export interface SignedSdkRequest {
  method: string;
  path: string;
  query: Record<string, string | string[] | null | undefined>;
  headers: Record<string, string>;
  body?: unknown;
}

class CapturedRequest extends Error {
  constructor(readonly request: SignedSdkRequest) {
    super('captured');
  }
}

/**
 * A client option that hands the signed request back instead of sending it: the handler rejects with it, and
 * `captured` takes it out of the rejection. One attempt, so the SDK's retry never resends it.
 */
export function capturingConfig(
  credentials: { accessKeyId: string; secretAccessKey: string },
  region = 'us-east-1',
) {
  return {
    region,
    credentials,
    maxAttempts: 1,
    requestHandler: {
      handle: (request: SignedSdkRequest) => Promise.reject(new CapturedRequest(request)),
    },
  };
}

/** The request that `send`, on a client built with `capturingConfig`, signed. */
export async function captured(send: () => Promise<unknown>): Promise<SignedSdkRequest> {
  const error = await send().then(
    () => undefined,
    (reason: unknown) => reason,
  );
  if (!(error instanceof CapturedRequest))
    throw new Error(`The SDK did not reach the handler: ${String(error)}`);
  return error.request;
}

/**
 * The S3 gateway endpoint's policy as the template holds it (infra/constructs/network.ts, restrictS3To), spelled
 * out here once: the infra test asserts the template against it with the ARNs as intrinsics, and the S3 proxy
 * test hands it to the enforcer with the ARNs resolved.
 */
export function s3GatewayEndpointPolicy<BucketArn, ObjectsArn>(bucketArn: BucketArn, objectsArn: ObjectsArn) {
  return {
    Version: '2012-10-17',
    Statement: [
      {
        Effect: 'Allow' as const,
        Principal: { AWS: '*' },
        Action: [
          's3:GetObject',
          's3:GetObjectVersion',
          's3:PutObject',
          's3:DeleteObject',
          's3:DeleteObjectVersion',
          's3:AbortMultipartUpload',
          's3:ListMultipartUploadParts',
        ],
        Resource: objectsArn,
      },
      {
        Effect: 'Allow' as const,
        Principal: { AWS: '*' },
        Action: ['s3:ListBucket', 's3:ListBucketMultipartUploads'],
        Resource: bucketArn,
      },
    ],
  };
}
