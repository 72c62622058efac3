/**
 * The IAM authorizations of the non-S3 calls the platform makes: SQS and Cognito (AWS JSON protocol, the
 * operation in X-Amz-Target), Secrets Manager (same), Lambda Invoke and MediaConvert CreateJob (REST JSON), and
 * the database's rds-db:connect. Each maps to the action and resource ARN AWS authorizes, with the request
 * context keys AWS supplies for that action.
 */
import type { IamRequest } from './policy';
import type { MappedCall } from './s3-requests';
import { UnmappedRequestError } from './s3-requests';
import { suppliedContext } from './service-reference';

/** Where the local resources live: ARNs are built in this region and account. */
export interface AwsLocation {
  region: string;
  accountId: string;
}

function single(operation: string, action: string, resource: string, context = {}): MappedCall {
  return { operation, requests: [{ action, resource, context: suppliedContext(action, context) }] };
}

function text(value: unknown, name: string): string {
  if (typeof value !== 'string' || value === '') throw new UnmappedRequestError(`The request has no ${name}`);
  return value;
}

/** SQS's batch operations are authorized as their single forms (there is no sqs:SendMessageBatch action). */
const SQS_BATCH_ACTIONS: Readonly<Record<string, string>> = {
  SendMessageBatch: 'SendMessage',
  DeleteMessageBatch: 'DeleteMessage',
  ChangeMessageVisibilityBatch: 'ChangeMessageVisibility',
};

/** `https://sqs.<region>.amazonaws.com/<account>/<name>` (or any local endpoint) → the queue ARN. */
function queueArnOfUrl(url: string, location: AwsLocation): string {
  const [account, name] = new URL(url).pathname.split('/').filter(Boolean);
  if (account === undefined || name === undefined) throw new UnmappedRequestError(`Not a queue URL: ${url}`);
  return `arn:aws:sqs:${location.region}:${account}:${name}`;
}

/** An SQS call (target `AmazonSQS.<Operation>`, JSON body) → sqs:<Action> on the queue's ARN. */
export function sqsCall(
  operation: string,
  input: Record<string, unknown>,
  location: AwsLocation,
): MappedCall {
  const action = `sqs:${SQS_BATCH_ACTIONS[operation] ?? operation}`;
  if (operation === 'ListQueues') return single(operation, action, '*');
  let resource: string;
  if (operation === 'GetQueueUrl') {
    const owner =
      typeof input.QueueOwnerAWSAccountId === 'string' ? input.QueueOwnerAWSAccountId : location.accountId;
    resource = `arn:aws:sqs:${location.region}:${owner}:${text(input.QueueName, 'QueueName')}`;
  } else if (operation === 'StartMessageMoveTask' || operation === 'ListMessageMoveTasks') {
    resource = text(input.SourceArn, 'SourceArn');
  } else {
    resource = queueArnOfUrl(text(input.QueueUrl, 'QueueUrl'), location);
  }
  return single(operation, action, resource);
}

/**
 * Cognito user pool operations that AWS does not authorize with IAM: the public ones (a client id is the
 * only credential) and the token-authorized ones (the user's access or session token). Their API reference
 * pages say "Amazon Cognito doesn't evaluate Identity and Access Management (IAM) policies in requests for
 * this API operation".
 */
export const COGNITO_UNAUTHORIZED_OPERATIONS: ReadonlySet<string> = new Set([
  'AssociateSoftwareToken',
  'ChangePassword',
  'CompleteWebAuthnRegistration',
  'ConfirmDevice',
  'ConfirmForgotPassword',
  'ConfirmSignUp',
  'DeleteUser',
  'DeleteUserAttributes',
  'DeleteWebAuthnCredential',
  'ForgetDevice',
  'ForgotPassword',
  'GetDevice',
  'GetTokensFromRefreshToken',
  'GetUser',
  'GetUserAttributeVerificationCode',
  'GetUserAuthFactors',
  'GlobalSignOut',
  'InitiateAuth',
  'ListDevices',
  'ListWebAuthnCredentials',
  'ResendConfirmationCode',
  'RespondToAuthChallenge',
  'RevokeToken',
  'SetUserMFAPreference',
  'SignUp',
  'StartWebAuthnRegistration',
  'UpdateAuthEventFeedback',
  'UpdateDeviceStatus',
  'UpdateUserAttributes',
  'VerifySoftwareToken',
  'VerifyUserAttribute',
]);

/**
 * A Cognito user pool call (target `AWSCognitoIdentityProviderService.<Operation>`) → cognito-idp:<Operation>
 * on the pool's ARN (account-level operations such as ListUserPools and CreateUserPool: on `*`), or no
 * authorization at all for the operations Cognito does not authorize with IAM.
 */
export function cognitoCall(
  operation: string,
  input: Record<string, unknown>,
  location: AwsLocation,
): MappedCall {
  if (COGNITO_UNAUTHORIZED_OPERATIONS.has(operation)) return { operation, requests: [] };
  const action = `cognito-idp:${operation}`;
  if (typeof input.UserPoolId !== 'string') return single(operation, action, '*');
  return single(
    operation,
    action,
    `arn:aws:cognito-idp:${location.region}:${location.accountId}:userpool/${input.UserPoolId}`,
  );
}

/** A Secrets Manager call (target `secretsmanager.<Operation>`) → secretsmanager:<Operation> on the secret. */
export function secretsManagerCall(
  operation: string,
  input: Record<string, unknown>,
  location: AwsLocation,
): MappedCall {
  const secretId = text(input.SecretId, 'SecretId');
  // A name stands for the secret's ARN, which AWS completes with a random suffix; the derive step gives the
  // functions the local ARN (`Ref` of a secret), so a bare name only comes from hand-made calls.
  const resource = secretId.startsWith('arn:')
    ? secretId
    : `arn:aws:secretsmanager:${location.region}:${location.accountId}:secret:${secretId}`;
  return single(operation, `secretsmanager:${operation}`, resource, {
    'secretsmanager:SecretId': secretId,
    'secretsmanager:VersionId': typeof input.VersionId === 'string' ? input.VersionId : undefined,
    'secretsmanager:VersionStage': typeof input.VersionStage === 'string' ? input.VersionStage : undefined,
  });
}

/** The AWS JSON protocol call with this X-Amz-Target, by the service its prefix names. */
export function jsonProtocolCall(
  target: string,
  input: Record<string, unknown>,
  location: AwsLocation,
): MappedCall {
  const [prefix = '', operation = ''] = target.split('.');
  switch (prefix) {
    case 'AmazonSQS':
      return sqsCall(operation, input, location);
    case 'AWSCognitoIdentityProviderService':
      return cognitoCall(operation, input, location);
    case 'secretsmanager':
      return secretsManagerCall(operation, input, location);
    default:
      throw new UnmappedRequestError(`No IAM mapping for the target ${target}`);
  }
}

const INVOCATIONS_PATH = /^\/2015-03-31\/functions\/([^/]+)\/invocations$/;

/**
 * Lambda Invoke (`POST /2015-03-31/functions/<name, ARN or name:qualifier>/invocations[?Qualifier=…]`) →
 * lambda:InvokeFunction on the function's ARN, qualified when the call names a version or alias.
 */
export function lambdaCall(
  request: { method: string; path: string; query: Readonly<Record<string, string | readonly string[]>> },
  location: AwsLocation,
): MappedCall {
  const match = request.method === 'POST' ? INVOCATIONS_PATH.exec(request.path) : null;
  if (match?.[1] === undefined)
    throw new UnmappedRequestError(`${request.method} ${request.path} is not Invoke`);
  const identifier = decodeURIComponent(match[1]);
  const arn = /^arn:aws:lambda:[^:]*:[^:]*:function:(.+)$/.exec(identifier);
  const [name = '', inlineQualifier] = (arn?.[1] ?? identifier).split(':');
  const qualifier = typeof request.query.Qualifier === 'string' ? request.query.Qualifier : inlineQualifier;
  const functionArn = `arn:aws:lambda:${location.region}:${location.accountId}:function:${name}`;
  return single(
    'Invoke',
    'lambda:InvokeFunction',
    qualifier === undefined ? functionArn : `${functionArn}:${qualifier}`,
  );
}

/**
 * MediaConvert CreateJob (`POST /2017-08-29/jobs`, body in MediaConvert's camelCase JSON) → mediaconvert:CreateJob
 * on the job's queue (the Default queue when none is named) and iam:PassRole on the job's role, with
 * iam:PassedToService, as AWS authorizes a service role handed to a service.
 */
export function mediaConvertCall(
  request: { method: string; path: string },
  input: Record<string, unknown>,
  location: AwsLocation,
): MappedCall {
  if (request.method !== 'POST' || request.path !== '/2017-08-29/jobs')
    throw new UnmappedRequestError(`${request.method} ${request.path} is not CreateJob`);
  const queue =
    typeof input.queue === 'string'
      ? input.queue
      : `arn:aws:mediaconvert:${location.region}:${location.accountId}:queues/Default`;
  const requests: IamRequest[] = [
    { action: 'mediaconvert:CreateJob', resource: queue, context: {} },
    {
      action: 'iam:PassRole',
      resource: text(input.role, 'role'),
      context: suppliedContext('iam:PassRole', { 'iam:PassedToService': 'mediaconvert.amazonaws.com' }),
    },
  ];
  return { operation: 'CreateJob', requests };
}

/**
 * rds-db:connect for a database user: the resource is the instance's (or cluster's) resource id and the user,
 * `arn:aws:rds-db:<region>:<account>:dbuser:<DbiResourceId>/<user>`.
 */
export function rdsConnectCall(resourceId: string, user: string, location: AwsLocation): MappedCall {
  return single(
    'connect',
    'rds-db:connect',
    `arn:aws:rds-db:${location.region}:${location.accountId}:dbuser:${resourceId}/${user}`,
  );
}
