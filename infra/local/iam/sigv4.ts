/**
 * Signature Version 4 verification, as AWS authenticates a request before it authorizes it: the header form
 * (`Authorization: AWS4-HMAC-SHA256 Credential=…`), the presigned query form (`X-Amz-Signature=…`, S3 URLs and
 * the RDS auth token) and S3's browser POST (a signed policy document, whose conditions are checked here too).
 * The signature is recomputed with the SDK's own signer (`@smithy/signature-v4`): the same canonical request,
 * string to sign and key derivation the SDK used to sign, so the two cannot drift apart.
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import {
  ALGORITHM_IDENTIFIER,
  SignatureV4,
  getCanonicalHeaders,
  getPayloadHash,
  UNSIGNED_PAYLOAD,
} from '@smithy/signature-v4';
import type { Checksum, HttpRequest, SourceData } from '@smithy/types';

export interface Credentials {
  accessKeyId: string;
  secretAccessKey: string;
}

/** A request as received, in the SDK's HttpRequest terms. */
export interface ReceivedRequest {
  method: string;
  /** The path on the wire (still URI-encoded), without the query. */
  path: string;
  /** Query parameters, decoded; a repeated parameter is an array. */
  query: Record<string, string | string[]>;
  /** Lower-case header names. */
  headers: Record<string, string>;
  /** The body, when the service signs it and it is small enough to hold (JSON protocols). */
  body?: Uint8Array;
}

export type AuthFailureCode =
  | 'MissingAuthenticationToken'
  | 'IncompleteSignature'
  | 'InvalidAccessKeyId'
  | 'SignatureDoesNotMatch'
  | 'RequestTimeTooSkewed'
  | 'RequestExpired'
  | 'PolicyViolation';

export type Authentication =
  | { ok: true; accessKeyId: string; authType: 'REST-HEADER' | 'REST-QUERY-STRING' | 'POST' }
  | { ok: false; code: AuthFailureCode; message: string; accessKeyId?: string };

export interface VerifyOptions {
  /** The signing name the credential must be scoped to (`s3`, `sqs`, `lambda`, `cognito-idp`, `rds-db`). */
  service: string;
  /** The secret of a known access key id; undefined for an unknown one. */
  secretOf: (accessKeyId: string) => string | undefined;
  now?: () => Date;
}

/** AWS refuses a header-signed request whose time is more than 15 minutes away from its own. */
const MAX_SKEW_MS = 15 * 60 * 1000;
/** And a presigned URL valid for more than 7 days. */
const MAX_PRESIGNED_SECONDS = 604_800;

/** node:crypto behind the hash interface the SDK's signer takes (what @smithy/hash-node does). */
export class NodeSha256 implements Checksum {
  private hash;
  constructor(private readonly secret?: SourceData) {
    this.hash = this.fresh();
  }
  private fresh() {
    return this.secret === undefined ? createHash('sha256') : createHmac('sha256', toBuffer(this.secret));
  }
  update(data: Uint8Array): void {
    this.hash.update(data);
  }
  digest(): Promise<Uint8Array> {
    return Promise.resolve(new Uint8Array(this.hash.digest()));
  }
  reset(): void {
    this.hash = this.fresh();
  }
}

function toBuffer(data: SourceData): Buffer {
  if (typeof data === 'string') return Buffer.from(data, 'utf8');
  if (ArrayBuffer.isView(data)) return Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  return Buffer.from(data);
}

/** The SDK's signer, opened up to recompute a received request's string to sign instead of signing anew. */
class Recomputer extends SignatureV4 {
  constructor(credentials: Credentials, region: string, service: string) {
    // S3 signs the path as sent; every other service escapes it once more (the SDK's own settings).
    super({ credentials, region, service, sha256: NodeSha256, uriEscapePath: service !== 's3' });
  }

  async requestSignature(
    request: HttpRequest,
    signedHeaders: readonly string[],
    payloadHash: string,
    scope: CredentialScope,
  ): Promise<string> {
    const headers: Record<string, string> = {};
    for (const name of signedHeaders) headers[name] = request.headers[name] ?? '';
    const canonicalHeaders = getCanonicalHeaders({ ...request, headers }, undefined, new Set(signedHeaders));
    const canonical = this.createCanonicalRequest(request, canonicalHeaders, payloadHash);
    const stringToSign = await this.createStringToSign(
      scope.longDate,
      scope.text,
      canonical,
      ALGORITHM_IDENTIFIER,
    );
    return this.stringSignature(stringToSign, scope);
  }

  stringSignature(stringToSign: string, scope: CredentialScope): Promise<string> {
    return this.sign(stringToSign, {
      signingDate: scope.date,
      signingRegion: scope.region,
      signingService: scope.service,
    });
  }
}

interface CredentialScope {
  accessKeyId: string;
  region: string;
  service: string;
  /** `<yyyymmdd>/<region>/<service>/aws4_request` */
  text: string;
  longDate: string;
  date: Date;
}

/** `AKID/20260101/us-east-1/s3/aws4_request` and `20260101T120000Z` → the scope, or why not. */
function parseScope(credential: string, longDate: string): CredentialScope | string {
  const [accessKeyId, shortDate, region, service, terminator, ...extra] = credential.split('/');
  if (
    accessKeyId === undefined ||
    shortDate === undefined ||
    region === undefined ||
    service === undefined ||
    terminator !== 'aws4_request' ||
    extra.length > 0
  )
    return `Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term, got '${credential}'`;
  const match = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(longDate);
  if (match === null) return `Invalid X-Amz-Date '${longDate}'`;
  const [, year, month, day, hour, minute, second] = match;
  if (!longDate.startsWith(shortDate))
    return `Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '${shortDate}' != '${longDate.slice(0, 8)}'`;
  return {
    accessKeyId,
    region,
    service,
    text: `${shortDate}/${region}/${service}/aws4_request`,
    longDate,
    date: new Date(`${year}-${month}-${day}T${hour}:${minute}:${second}Z`),
  };
}

function same(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}

function first(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

/** The received request in the signer's terms (protocol and hostname do not enter the signature). */
function signable(
  request: ReceivedRequest,
  headers: Record<string, string>,
  body: Uint8Array | undefined,
): HttpRequest {
  return {
    method: request.method,
    protocol: 'http:',
    hostname: '',
    path: request.path,
    query: request.query,
    headers,
    body,
  };
}

function failure(code: AuthFailureCode, message: string, accessKeyId?: string): Authentication {
  return { ok: false, code, message, ...(accessKeyId === undefined ? {} : { accessKeyId }) };
}

/** Splits a raw query string into decoded parameters (`+` is a literal plus in SigV4 queries, not a space). */
export function parseQuery(raw: string): Record<string, string | string[]> {
  const query: Record<string, string | string[]> = {};
  for (const pair of raw.split('&')) {
    if (pair === '') continue;
    const separator = pair.indexOf('=');
    const name = decodeURIComponent(separator === -1 ? pair : pair.slice(0, separator));
    const value = separator === -1 ? '' : decodeURIComponent(pair.slice(separator + 1));
    const existing = query[name];
    query[name] =
      existing === undefined ? value : [...(Array.isArray(existing) ? existing : [existing]), value];
  }
  return query;
}

/**
 * Verifies a header-signed or presigned request: a known access key, a credential scoped to this service,
 * a time within AWS's bounds, and the very signature the SDK computes for it.
 */
export async function verifyRequest(
  request: ReceivedRequest,
  options: VerifyOptions,
): Promise<Authentication> {
  const now = (options.now ?? (() => new Date()))();
  const authorization = request.headers.authorization;
  const presigned = first(request.query['X-Amz-Algorithm']) !== undefined;
  if (authorization !== undefined && presigned)
    return failure('IncompleteSignature', 'Only one auth mechanism allowed');
  let credential: string;
  let longDate: string;
  let signedHeaders: string[];
  let signature: string;
  let payloadHash: string;
  let expiresSeconds: number | undefined;
  if (presigned) {
    if (first(request.query['X-Amz-Algorithm']) !== ALGORITHM_IDENTIFIER)
      return failure('IncompleteSignature', 'X-Amz-Algorithm only supports "AWS4-HMAC-SHA256"');
    credential = first(request.query['X-Amz-Credential']) ?? '';
    longDate = first(request.query['X-Amz-Date']) ?? '';
    signedHeaders = (first(request.query['X-Amz-SignedHeaders']) ?? '').split(';');
    signature = first(request.query['X-Amz-Signature']) ?? '';
    expiresSeconds = Number(first(request.query['X-Amz-Expires']));
    if (!Number.isInteger(expiresSeconds) || expiresSeconds < 1 || expiresSeconds > MAX_PRESIGNED_SECONDS)
      return failure('IncompleteSignature', 'X-Amz-Expires must be between 1 and 604800 seconds');
    // A presigned S3 URL never signs its body (UNSIGNED-PAYLOAD, also hoisted into the query); another
    // service's presigned request (the RDS token) has an empty one.
    payloadHash =
      options.service === 's3'
        ? (first(request.query['X-Amz-Content-Sha256']) ?? UNSIGNED_PAYLOAD)
        : await getPayloadHash(signable(request, {}, undefined), NodeSha256);
  } else {
    if (authorization === undefined)
      return failure('MissingAuthenticationToken', 'Missing Authentication Token');
    const parsed =
      /^AWS4-HMAC-SHA256 Credential=([^,\s]+),\s*SignedHeaders=([^,\s]+),\s*Signature=([0-9a-f]+)$/.exec(
        authorization,
      );
    if (parsed === null)
      return failure(
        'IncompleteSignature',
        `Authorization header requires Credential, SignedHeaders and Signature`,
      );
    credential = parsed[1] ?? '';
    signedHeaders = (parsed[2] ?? '').split(';');
    signature = parsed[3] ?? '';
    longDate = request.headers['x-amz-date'] ?? '';
    // A body at hand is hashed as received, as AWS does: a changed body cannot ride on the hash header of the
    // original. A streamed S3 body is known only by that header (S3 itself checks it while storing).
    payloadHash = await getPayloadHash(
      signable(request, request.body === undefined ? request.headers : {}, request.body),
      NodeSha256,
    );
  }
  const scope = parseScope(credential, longDate);
  if (typeof scope === 'string') return failure('IncompleteSignature', scope);
  const secret = options.secretOf(scope.accessKeyId);
  if (secret === undefined)
    return failure(
      'InvalidAccessKeyId',
      'The AWS Access Key Id you provided does not exist in our records.',
      scope.accessKeyId,
    );
  if (scope.service !== options.service)
    return failure(
      'SignatureDoesNotMatch',
      `Credential should be scoped to correct service: '${options.service}'.`,
      scope.accessKeyId,
    );
  if (expiresSeconds === undefined) {
    if (Math.abs(now.getTime() - scope.date.getTime()) > MAX_SKEW_MS)
      return failure(
        'RequestTimeTooSkewed',
        'The difference between the request time and the current time is too large.',
        scope.accessKeyId,
      );
  } else {
    if (now.getTime() > scope.date.getTime() + expiresSeconds * 1000)
      return failure('RequestExpired', 'Request has expired', scope.accessKeyId);
    if (scope.date.getTime() - now.getTime() > MAX_SKEW_MS)
      return failure('RequestExpired', 'Request is not valid yet', scope.accessKeyId);
  }
  for (const required of ['host', ...(presigned ? [] : ['x-amz-date'])])
    if (!signedHeaders.includes(required))
      return failure('SignatureDoesNotMatch', `'${required}' must be a signed header`, scope.accessKeyId);
  const recomputer = new Recomputer(
    { accessKeyId: scope.accessKeyId, secretAccessKey: secret },
    scope.region,
    scope.service,
  );
  const expected = await recomputer.requestSignature(
    signable(request, request.headers, undefined),
    signedHeaders,
    payloadHash,
    scope,
  );
  if (!same(expected, signature))
    return failure(
      'SignatureDoesNotMatch',
      'The request signature we calculated does not match the signature you provided. Check your key and signing method.',
      scope.accessKeyId,
    );
  return {
    ok: true,
    accessKeyId: scope.accessKeyId,
    authType: presigned ? 'REST-QUERY-STRING' : 'REST-HEADER',
  };
}

/** One condition of an S3 POST policy. */
type PolicyCondition = Record<string, string> | [string, string | number, string | number];

/**
 * The fields of a browser POST upload, checked as S3 checks them: the policy's signature, its expiration, and
 * every condition against the form's fields (the file's size, known only as it streams, is `sizeRange`'s to
 * check). Field names are compared case-insensitively, as S3 does; `bucket` is the bucket of the request path.
 */
export async function verifyPostPolicy(
  fields: ReadonlyMap<string, string>,
  bucket: string,
  options: Omit<VerifyOptions, 'service'>,
): Promise<Authentication & { sizeRange?: { min: number; max: number } }> {
  const now = (options.now ?? (() => new Date()))();
  const field = (name: string) => fields.get(name.toLowerCase());
  const policy = field('policy');
  const algorithm = field('x-amz-algorithm');
  if (policy === undefined || algorithm === undefined)
    return failure(
      'MissingAuthenticationToken',
      'Bucket POST must contain a field named policy and x-amz-algorithm',
    );
  if (algorithm !== ALGORITHM_IDENTIFIER)
    return failure('IncompleteSignature', 'X-Amz-Algorithm only supports "AWS4-HMAC-SHA256"');
  const scope = parseScope(field('x-amz-credential') ?? '', field('x-amz-date') ?? '');
  if (typeof scope === 'string') return failure('IncompleteSignature', scope);
  const secret = options.secretOf(scope.accessKeyId);
  if (secret === undefined)
    return failure(
      'InvalidAccessKeyId',
      'The AWS Access Key Id you provided does not exist in our records.',
      scope.accessKeyId,
    );
  const recomputer = new Recomputer(
    { accessKeyId: scope.accessKeyId, secretAccessKey: secret },
    scope.region,
    's3',
  );
  if (
    scope.service !== 's3' ||
    !same(await recomputer.stringSignature(policy, scope), field('x-amz-signature') ?? '')
  )
    return failure(
      'SignatureDoesNotMatch',
      'The request signature we calculated does not match the signature you provided. Check your key and signing method.',
      scope.accessKeyId,
    );
  let document: { expiration?: unknown; conditions?: unknown };
  try {
    document = JSON.parse(Buffer.from(policy, 'base64').toString('utf8')) as typeof document;
  } catch {
    return failure('PolicyViolation', 'Invalid Policy: Invalid JSON.', scope.accessKeyId);
  }
  const expiration = typeof document.expiration === 'string' ? Date.parse(document.expiration) : NaN;
  if (Number.isNaN(expiration))
    return failure('PolicyViolation', 'Invalid Policy: Policy missing expiration.', scope.accessKeyId);
  if (now.getTime() > expiration)
    return failure('PolicyViolation', 'Invalid according to Policy: Policy expired.', scope.accessKeyId);
  const conditions = Array.isArray(document.conditions) ? (document.conditions as PolicyCondition[]) : [];
  const values = new Map(fields);
  values.set('bucket', bucket);
  const covered = new Set<string>();
  let sizeRange: { min: number; max: number } | undefined;
  for (const condition of conditions) {
    let operator: string;
    let name: string;
    let expected: string;
    if (Array.isArray(condition)) {
      const [op, subject, value] = condition;
      if (op === 'content-length-range') {
        sizeRange = { min: Number(subject), max: Number(value) };
        continue;
      }
      operator = op.toLowerCase();
      name = String(subject).replace(/^\$/, '').toLowerCase();
      expected = String(value);
    } else {
      const entries = Object.entries(condition);
      const [entry] = entries;
      if (entries.length !== 1 || entry === undefined)
        return failure('PolicyViolation', 'Invalid Policy: Invalid Simple-Condition.', scope.accessKeyId);
      operator = 'eq';
      name = entry[0].toLowerCase();
      expected = entry[1];
    }
    covered.add(name);
    const actual = values.get(name) ?? '';
    const holds =
      operator === 'eq' ? actual === expected : operator === 'starts-with' && actual.startsWith(expected);
    if (!holds)
      return failure(
        'PolicyViolation',
        `Invalid according to Policy: Policy Condition failed: ["${operator}", "$${name}", "${expected}"]`,
        scope.accessKeyId,
      );
  }
  // S3: every field but these must be named by a condition.
  for (const name of fields.keys()) {
    if (['policy', 'x-amz-signature', 'file'].includes(name) || name.startsWith('x-ignore-')) continue;
    if (!covered.has(name))
      return failure(
        'PolicyViolation',
        `Invalid according to Policy: Extra input fields: ${name}`,
        scope.accessKeyId,
      );
  }
  return {
    ok: true,
    accessKeyId: scope.accessKeyId,
    authType: 'POST',
    ...(sizeRange === undefined ? {} : { sizeRange }),
  };
}
