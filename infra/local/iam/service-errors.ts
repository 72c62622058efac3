/**
 * Denials in each service's own error shape, so the SDK surfaces the error it surfaces on AWS: S3's XML
 * `<Error><Code>AccessDenied</Code>…` with 403; the AWS JSON services' `__type` body (SQS adds the
 * `x-amzn-query-error` header its SDK reads the query-era code from, so the SDK names it `AccessDenied`);
 * Lambda's and MediaConvert's `x-amzn-errortype` header.
 */
import { randomBytes } from 'node:crypto';
import type { AuthFailureCode } from './sigv4';

export interface ServiceAnswer {
  statusCode: number;
  headers: Record<string, string>;
  body: Buffer;
}

/** What went wrong, independent of how the service spells it. */
export type Refusal = 'AccessDenied' | AuthFailureCode | 'Unmapped';

function escapeXml(text: string): string {
  return text.replace(/[<>&"']/g, (char) => `&#${char.charCodeAt(0)};`);
}

const S3_CODES: Record<Refusal, { code: string; status: number }> = {
  AccessDenied: { code: 'AccessDenied', status: 403 },
  Unmapped: { code: 'AccessDenied', status: 403 },
  MissingAuthenticationToken: { code: 'AccessDenied', status: 403 },
  IncompleteSignature: { code: 'AuthorizationHeaderMalformed', status: 400 },
  InvalidAccessKeyId: { code: 'InvalidAccessKeyId', status: 403 },
  SignatureDoesNotMatch: { code: 'SignatureDoesNotMatch', status: 403 },
  RequestTimeTooSkewed: { code: 'RequestTimeTooSkewed', status: 403 },
  RequestExpired: { code: 'AccessDenied', status: 403 },
  PolicyViolation: { code: 'AccessDenied', status: 403 },
};

/** S3's error document; `extra` adds S3's detail elements (AWSAccessKeyId, …). */
export function s3Error(
  refusal: Refusal | 'EntityTooLarge' | 'EntityTooSmall' | 'InternalError',
  message: string,
  extra: Record<string, string> = {},
): ServiceAnswer {
  const { code, status } =
    refusal === 'EntityTooLarge' || refusal === 'EntityTooSmall'
      ? { code: refusal, status: 400 }
      : refusal === 'InternalError'
        ? { code: refusal, status: 500 }
        : S3_CODES[refusal];
  const details = Object.entries(extra)
    .map(([name, value]) => `<${name}>${escapeXml(value)}</${name}>`)
    .join('');
  const requestId = randomBytes(8).toString('hex').toUpperCase();
  const body = `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${escapeXml(message)}</Message>${details}<RequestId>${requestId}</RequestId><HostId>local</HostId></Error>`;
  return {
    statusCode: status,
    headers: { 'content-type': 'application/xml', 'x-amz-request-id': requestId },
    body: Buffer.from(body),
  };
}

/** The services reached through the JSON enforcement points, by their signing name. */
export type JsonService = 'sqs' | 'cognito-idp' | 'lambda' | 'mediaconvert' | 'secretsmanager';

interface JsonCode {
  type: string;
  status: number;
}

function jsonCode(service: JsonService, refusal: Refusal | 'InternalError'): JsonCode {
  if (refusal === 'InternalError') return { type: 'InternalErrorException', status: 500 };
  // IAM denials: AccessDeniedException everywhere (SQS's SDK reads `AccessDenied` from x-amzn-query-error).
  if (refusal === 'AccessDenied' || refusal === 'Unmapped')
    return {
      type: 'AccessDeniedException',
      status: service === 'cognito-idp' || service === 'secretsmanager' ? 400 : 403,
    };
  switch (refusal) {
    case 'MissingAuthenticationToken':
      return { type: 'MissingAuthenticationTokenException', status: 403 };
    case 'InvalidAccessKeyId':
      return service === 'sqs'
        ? { type: 'InvalidClientTokenId', status: 403 }
        : { type: 'UnrecognizedClientException', status: 403 };
    case 'SignatureDoesNotMatch':
    case 'IncompleteSignature':
    case 'PolicyViolation':
      return service === 'sqs'
        ? { type: 'SignatureDoesNotMatch', status: 403 }
        : { type: 'InvalidSignatureException', status: 403 };
    case 'RequestTimeTooSkewed':
    case 'RequestExpired':
      return { type: 'InvalidSignatureException', status: 403 };
  }
}

/** The SDK's error for the JSON protocols (AWS JSON 1.0/1.1 and REST JSON). */
export function jsonServiceError(
  service: JsonService,
  refusal: Refusal | 'InternalError',
  message: string,
): ServiceAnswer {
  const { type, status } = jsonCode(service, refusal);
  const headers: Record<string, string> = {
    'content-type':
      service === 'lambda' || service === 'mediaconvert' ? 'application/json' : 'application/x-amz-json-1.0',
    'x-amzn-errortype': type,
    'x-amzn-requestid': randomBytes(16).toString('hex'),
  };
  if (service === 'sqs') {
    headers['x-amzn-query-error'] =
      `${refusal === 'AccessDenied' || refusal === 'Unmapped' ? 'AccessDenied' : type};Sender`;
    return {
      statusCode: status,
      headers,
      body: Buffer.from(JSON.stringify({ __type: `com.amazon.coral.service#${type}`, message })),
    };
  }
  const body = service === 'lambda' ? { Type: 'User', message } : { __type: type, message };
  return { statusCode: status, headers, body: Buffer.from(JSON.stringify(body)) };
}
