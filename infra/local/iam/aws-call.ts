/**
 * The enforcement of one buffered AWS API call in the JSON protocols: SQS, Cognito and Secrets Manager
 * (X-Amz-Target), Lambda Invoke and MediaConvert CreateJob (REST paths). Used by the gateway's Lambda Invoke
 * and SQS surfaces and by the JSON service proxy in front of cognito-local: verify the signature, map the
 * call to its IAM authorizations, evaluate them, and answer a refusal in the service's own error shape.
 */
import type { IamEnforcer, LocalPrincipal } from './enforcer';
import { type MappedCall, UnmappedRequestError } from './s3-requests';
import { type JsonService, type ServiceAnswer, jsonServiceError } from './service-errors';
import {
  COGNITO_UNAUTHORIZED_OPERATIONS,
  jsonProtocolCall,
  lambdaCall,
  mediaConvertCall,
} from './service-requests';
import { parseQuery, verifyRequest } from './sigv4';

export interface BufferedAwsCall {
  method: string;
  /** Path and query as received. */
  url: string;
  /** Lower-case names; a repeated header joined with commas, as node:http does. */
  headers: Readonly<Record<string, string | string[] | undefined>>;
  body: Buffer;
  /** The call came over TLS (`aws:SecureTransport`). */
  secure: boolean;
}

export type AwsCallDecision =
  | { allowed: true; operation: string; principal?: LocalPrincipal }
  | { allowed: false; answer: ServiceAnswer };

const TARGET_SERVICES: Readonly<Record<string, JsonService>> = {
  AmazonSQS: 'sqs',
  AWSCognitoIdentityProviderService: 'cognito-idp',
  secretsmanager: 'secretsmanager',
};

function headerText(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value.join(',') : value;
}

function parseBody(body: Buffer): Record<string, unknown> {
  if (body.length === 0) return {};
  const parsed: unknown = JSON.parse(body.toString('utf8'));
  return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)
    ? (parsed as Record<string, unknown>)
    : {};
}

/** Which service and which mapping a call is for; undefined when it is none of the enforced ones. */
function identify(
  call: BufferedAwsCall,
  path: string,
  query: Record<string, string | string[]>,
  iam: IamEnforcer,
): { service: JsonService; operation: string; map: () => MappedCall } | undefined {
  const target = headerText(call.headers['x-amz-target']);
  if (target !== undefined) {
    const [prefix = '', operation = ''] = target.split('.');
    const service = TARGET_SERVICES[prefix];
    if (service === undefined) return undefined;
    return { service, operation, map: () => jsonProtocolCall(target, parseBody(call.body), iam.location) };
  }
  if (path.startsWith('/2015-03-31/functions/'))
    return {
      service: 'lambda',
      operation: 'Invoke',
      map: () => lambdaCall({ method: call.method, path, query }, iam.location),
    };
  if (path.startsWith('/2017-08-29/'))
    return {
      service: 'mediaconvert',
      operation: 'CreateJob',
      map: () => mediaConvertCall({ method: call.method, path }, parseBody(call.body), iam.location),
    };
  return undefined;
}

/**
 * Decides one call: allowed (with the principal that signed it, none for the Cognito operations AWS does
 * not authorize with IAM), or refused with the answer to send back.
 */
export async function authorizeAwsCall(iam: IamEnforcer, call: BufferedAwsCall): Promise<AwsCallDecision> {
  const [path = '/', rawQuery = ''] = call.url.split('?', 2);
  const query = parseQuery(rawQuery);
  const identified = identify(call, path, query, iam);
  if (identified === undefined) {
    iam.logRefusal(`${call.method} ${path}`, 'no IAM mapping for this call');
    // The service is unknown: answered in the REST-JSON shape (x-amzn-errortype), which every JSON SDK reads.
    return {
      allowed: false,
      answer: jsonServiceError(
        'lambda',
        'Unmapped',
        `The local IAM enforcement has no mapping for ${call.method} ${path}`,
      ),
    };
  }
  const { service, operation } = identified;
  // Cognito's public and token-authorized operations carry no IAM signature on AWS either.
  if (
    service === 'cognito-idp' &&
    COGNITO_UNAUTHORIZED_OPERATIONS.has(operation) &&
    call.headers.authorization === undefined
  )
    return { allowed: true, operation };
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(call.headers)) {
    const text = headerText(value);
    if (text !== undefined) headers[name] = text;
  }
  const authentication = await verifyRequest(
    { method: call.method, path, query, headers, body: call.body },
    { service, secretOf: iam.secretOf, now: iam.now },
  );
  if (!authentication.ok) {
    iam.logRefusal(
      `${service} ${operation} (key ${authentication.accessKeyId ?? 'none'})`,
      authentication.message,
    );
    return { allowed: false, answer: jsonServiceError(service, authentication.code, authentication.message) };
  }
  const principal = iam.principalOf(authentication.accessKeyId);
  if (principal === undefined)
    throw new Error(`Verified an access key without a principal: ${authentication.accessKeyId}`);
  let mapped: MappedCall;
  try {
    mapped = identified.map();
  } catch (error) {
    if (!(error instanceof UnmappedRequestError) && !(error instanceof SyntaxError)) throw error;
    iam.logRefusal(`${principal.functionName} ${service} ${operation}`, error.message);
    return { allowed: false, answer: jsonServiceError(service, 'Unmapped', error.message) };
  }
  const authorization = iam.authorize(principal, mapped, { secure: call.secure });
  if (!authorization.allowed)
    return { allowed: false, answer: jsonServiceError(service, 'AccessDenied', authorization.message) };
  return { allowed: true, operation, principal };
}
