/**
 * The S3 enforcement point: a reverse proxy (node:http) in front of the local S3 server that does what S3 does
 * before it serves a request — verify the signature (header, presigned URL, or a browser POST's signed
 * policy and its conditions), map the request to its IAM authorizations, and evaluate them against the
 * signer's role policies, the bucket policy and, for an in-VPC function, the S3 gateway endpoint's policy.
 * The signer's permissions are those at request time, so a presigned URL stops working when its signer loses
 * the permission, as on S3. A refusal is S3's XML error; an allowed request is forwarded with its body
 * streamed, never buffered (a 500 MB upload passes through in chunks).
 *
 * Forwarding is protocol-level: the request is re-signed for the upstream with the upstream's own credentials
 * (the local S3 server knows only those); path, query, headers and body are otherwise passed as received. A
 * browser POST is forwarded byte for byte: its policy was checked here, and the upstream accepts POST
 * uploads without verifying them (s3rver does; a server that verifies them would need the form rewritten).
 * CORS preflights (OPTIONS) pass through untouched: S3 answers them from the bucket's CORS rules, unsigned.
 */
import { once } from 'node:events';
import {
  type IncomingHttpHeaders,
  type IncomingMessage,
  type ServerResponse,
  request as httpRequest,
} from 'node:http';
import { SignatureV4 } from '@smithy/signature-v4';
import { type Endpoint, readBody, sendAnswer, serve } from './endpoint';
import type { IamEnforcer, LocalPrincipal } from './enforcer';
import {
  type MappedCall,
  type S3HttpRequest,
  UnmappedRequestError,
  bucketAndKey,
  bucketArn,
  isBatchDelete,
  s3Call,
  s3DeleteObjectsCall,
  s3PostObjectCall,
} from './s3-requests';
import { type ServiceAnswer, s3Error } from './service-errors';
import { type Credentials, NodeSha256, parseQuery, verifyPostPolicy, verifyRequest } from './sigv4';

export interface S3ProxyOptions {
  iam: IamEnforcer;
  /** The local S3 server and the credentials it accepts. */
  upstream: { endpoint: string; credentials: Credentials; region: string };
  /** @default 127.0.0.1 */
  host?: string;
  /** 0: any free port. */
  port: number;
  /**
   * `aws:SecureTransport` for the calls this endpoint serves. The local endpoint is plain HTTP on loopback
   * while the same calls on AWS go to S3's HTTPS endpoints (the SDK's default, and the URLs S3 presigns), so
   * the runtime passes true to evaluate what AWS would; false shows the bucket policy's TLS-only deny.
   */
  secureTransport: boolean;
}

/** `url`: the endpoint to give functions (S3_ENDPOINT) and to presign against. */
export type S3Proxy = Endpoint;

/** S3 limits the form fields before the file of a POST upload; beyond this the request is refused. */
const MAX_POST_PREAMBLE_BYTES = 64 * 1024;
/** A DeleteObjects body lists at most 1000 keys; this bounds what is held to read them. */
const MAX_DELETE_BODY_BYTES = 2 * 1024 * 1024;
/** The query parameters of a presigned URL's signature: replaced by the upstream's header signature. */
const PRESIGN_PARAMETERS = new Set([
  'x-amz-algorithm',
  'x-amz-credential',
  'x-amz-date',
  'x-amz-expires',
  'x-amz-signedheaders',
  'x-amz-signature',
  'x-amz-security-token',
  'x-amz-content-sha256',
]);

function headerMap(request: IncomingMessage): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(request.headers))
    if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(',') : value;
  return headers;
}

interface FormPreamble {
  fields: Map<string, string>;
  fileName: string;
  /** The bytes read so far: the preamble and whatever of the file came with it. */
  buffered: Buffer;
  /** Where the file's content starts in `buffered`. */
  fileStart: number;
}

/** `multipart/form-data; boundary=…` → the boundary. */
function boundaryOf(contentType: string | undefined): string | undefined {
  const match = /boundary=(?:"([^"]+)"|([^;\s]+))/i.exec(contentType ?? '');
  return match?.[1] ?? match?.[2];
}

/**
 * Reads a POST form up to the start of its `file` part (S3 takes the file as the last field; fields after it
 * are ignored): the fields and the file's name. Undefined when the form has no file within the limit.
 */
async function readPreamble(
  source: AsyncIterator<Buffer>,
  boundary: string,
): Promise<FormPreamble | undefined> {
  let buffered = Buffer.alloc(0);
  const delimiter = `--${boundary}`;
  for (;;) {
    const headerEnd = buffered.indexOf('\r\n\r\n', buffered.lastIndexOf(`${delimiter}\r\n`));
    const fields = new Map<string, string>();
    let fileName: string | undefined;
    let fileStart = -1;
    if (headerEnd !== -1) {
      const parts = buffered
        .subarray(0, headerEnd + 4)
        .toString('latin1')
        .split(delimiter)
        .slice(1);
      let offset = delimiter.length;
      for (const part of parts) {
        const [head = '', ...rest] = part.split('\r\n\r\n');
        // `;\s*name=` so that a part's `filename="…"` is never read as its name.
        const name = /;\s*name="([^"]*)"/.exec(head)?.[1];
        if (name === 'file') {
          fileName = Buffer.from(/;\s*filename="([^"]*)"/.exec(head)?.[1] ?? '', 'latin1').toString('utf8');
          fileStart = offset + part.length;
          break;
        }
        const value = rest.join('\r\n\r\n').replace(/\r\n$/, '');
        if (name !== undefined) fields.set(name.toLowerCase(), Buffer.from(value, 'latin1').toString('utf8'));
        offset += part.length + delimiter.length;
      }
    }
    if (fileName !== undefined) return { fields, fileName, buffered, fileStart };
    if (buffered.length > MAX_POST_PREAMBLE_BYTES) return undefined;
    const next = await source.next();
    if (next.done === true) return undefined;
    buffered = Buffer.concat([buffered, next.value]);
  }
}

/** The CORS headers of an answer that travel with a response (not the preflight-only ones). */
function corsOf(headers: IncomingHttpHeaders): Record<string, string> {
  const kept: Record<string, string> = {};
  for (const name of [
    'access-control-allow-origin',
    'access-control-allow-credentials',
    'access-control-expose-headers',
    'vary',
  ]) {
    const value = headers[name];
    if (value !== undefined) kept[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  return kept;
}

export async function startS3Proxy(options: S3ProxyOptions): Promise<S3Proxy> {
  const { iam } = options;
  const upstream = new URL(options.upstream.endpoint);
  const signer = new SignatureV4({
    credentials: options.upstream.credentials,
    region: options.upstream.region,
    service: 's3',
    sha256: NodeSha256,
    uriEscapePath: false,
  });
  const transport = { secure: options.secureTransport };

  function deny(principal: LocalPrincipal, call: MappedCall): ServiceAnswer | undefined {
    const authorization = iam.authorize(principal, call, transport);
    return authorization.allowed ? undefined : s3Error('AccessDenied', authorization.message);
  }

  /** Opens the upstream request: the signature replaced by the upstream's, everything else as received. */
  async function upstreamRequest(request: IncomingMessage, presigned: boolean) {
    const [path = '/', rawQuery = ''] = (request.url ?? '/').split('?', 2);
    const kept = rawQuery
      .split('&')
      .filter(
        (pair) =>
          pair !== '' && !PRESIGN_PARAMETERS.has(decodeURIComponent(pair.split('=')[0] ?? '').toLowerCase()),
      );
    const headers = headerMap(request);
    delete headers.authorization;
    delete headers.expect;
    headers.host = upstream.host;
    const contentHash = presigned
      ? 'UNSIGNED-PAYLOAD'
      : (headers['x-amz-content-sha256'] ?? 'UNSIGNED-PAYLOAD');
    const signed = await signer.sign({
      method: request.method ?? 'GET',
      protocol: upstream.protocol,
      hostname: upstream.hostname,
      path,
      query: parseQuery(kept.join('&')),
      headers: { host: upstream.host, 'x-amz-content-sha256': contentHash },
    });
    return httpRequest({
      host: upstream.hostname,
      port: upstream.port,
      method: request.method,
      path: kept.length === 0 ? path : `${path}?${kept.join('&')}`,
      headers: { ...headers, ...signed.headers },
    });
  }

  /** Sends the upstream's answer back as it comes. */
  function relay(
    upstreamRequest: ReturnType<typeof httpRequest>,
    response: ServerResponse,
    onAnswer?: (status: number) => ServiceAnswer | undefined,
  ): void {
    upstreamRequest.on('response', (answer) => {
      const replaced = onAnswer?.(answer.statusCode ?? 500);
      if (replaced !== undefined) {
        answer.resume();
        const withCors = { ...replaced, headers: { ...replaced.headers, ...corsOf(answer.headers) } };
        sendAnswer(response, withCors, upstreamRequest.method === 'HEAD');
        return;
      }
      response.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(response);
    });
    upstreamRequest.on('error', (error) => {
      if (response.headersSent) response.destroy(error);
      else sendAnswer(response, s3Error('InternalError', `The local S3 server failed: ${error.message}`));
    });
  }

  /**
   * S3 answers an error to a browser with the bucket's CORS headers, so that the page can read it (the console
   * shows S3's error code). The bucket's rules live upstream: ask it as a preflight for this origin and method.
   */
  async function corsHeaders(request: IncomingMessage): Promise<Record<string, string>> {
    const origin = request.headers.origin;
    if (origin === undefined) return {};
    const preflight = httpRequest({
      host: upstream.hostname,
      port: upstream.port,
      method: 'OPTIONS',
      path: (request.url ?? '/').split('?')[0],
      headers: { host: upstream.host, origin, 'access-control-request-method': request.method ?? 'GET' },
    });
    preflight.end();
    const [answer] = (await once(preflight, 'response')) as [IncomingMessage];
    answer.resume();
    return corsOf(answer.headers);
  }

  /** A refusal, with the bucket's CORS headers for a browser's request. */
  async function refuse(
    request: IncomingMessage,
    response: ServerResponse,
    answer: ServiceAnswer,
  ): Promise<void> {
    const head = request.method === 'HEAD';
    sendAnswer(
      response,
      { ...answer, headers: { ...answer.headers, ...(await corsHeaders(request)) } },
      head,
    );
    request.resume();
  }

  async function handlePost(
    request: IncomingMessage,
    response: ServerResponse,
    bucket: string,
  ): Promise<void> {
    const boundary = boundaryOf(request.headers['content-type']);
    const source = (request as AsyncIterable<Buffer>)[Symbol.asyncIterator]();
    const preamble = boundary === undefined ? undefined : await readPreamble(source, boundary);
    if (boundary === undefined || preamble === undefined) {
      await refuse(
        request,
        response,
        s3Error('AccessDenied', 'POST requires exactly one file upload per request.'),
      );
      return;
    }
    const verified = await verifyPostPolicy(preamble.fields, bucket, {
      secretOf: iam.secretOf,
      now: iam.now,
    });
    const principal = verified.ok ? iam.principalOf(verified.accessKeyId) : undefined;
    if (!verified.ok || principal === undefined) {
      const refusal = verified.ok
        ? { code: 'InvalidAccessKeyId' as const, message: 'unknown key' }
        : verified;
      iam.logRefusal(`S3 POST upload to ${bucket}`, refusal.message);
      await refuse(request, response, s3Error(refusal.code, refusal.message));
      return;
    }
    // S3 puts the uploaded file's name where the key says ${filename}.
    const key = (preamble.fields.get('key') ?? '').replaceAll('${filename}', preamble.fileName);
    const denied = deny(principal, s3PostObjectCall(bucket, key, postRequest(request)));
    if (denied !== undefined) {
      await refuse(request, response, denied);
      return;
    }
    const toUpstream = await upstreamRequest(request, false);
    const delimiter = Buffer.from(`\r\n--${boundary}`);
    const range = verified.sizeRange ?? { min: 0, max: Number.MAX_SAFE_INTEGER };
    let pending = preamble.buffered.subarray(preamble.fileStart);
    // Mutated by tooLarge() below: an object, so that the checks after the loop read its current state.
    const file = { bytes: 0, ended: false };
    relay(toUpstream, response);
    toUpstream.write(preamble.buffered.subarray(0, preamble.fileStart));
    const stop = async (answer: ServiceAnswer): Promise<void> => {
      // The upload is abandoned on purpose: its upstream request's end (a reset) is no failure to report.
      toUpstream.removeAllListeners('response').removeAllListeners('error');
      toUpstream.on('error', () => undefined);
      toUpstream.destroy();
      const cors = await corsHeaders(request);
      response.setHeader('connection', 'close');
      sendAnswer(response, { ...answer, headers: { ...answer.headers, ...cors } });
      request.destroy();
    };
    // The file streams through; only the last few bytes are held back, so that the closing boundary (which
    // completes the upload upstream) is sent only once the file's size is known to be within the policy.
    const tooLarge = (): boolean => {
      if (file.ended) return false;
      const end = pending.indexOf(delimiter);
      const safe = end === -1 ? Math.max(0, pending.length - delimiter.length) : end;
      file.bytes += safe;
      if (file.bytes > range.max) return true;
      if (safe > 0) toUpstream.write(pending.subarray(0, safe));
      pending = pending.subarray(safe);
      file.ended = end !== -1;
      return false;
    };
    let next: IteratorResult<Buffer> = { done: false, value: Buffer.alloc(0) };
    while (next.done !== true) {
      pending = Buffer.concat([pending, next.value]);
      if (tooLarge()) {
        await stop(
          s3Error('EntityTooLarge', 'Your proposed upload exceeds the maximum allowed size', {
            MaxSizeAllowed: String(range.max),
          }),
        );
        return;
      }
      // Backpressure: a fast client never piles a large upload up in memory ahead of a slow storage.
      if (toUpstream.writableNeedDrain) await once(toUpstream, 'drain');
      next = await source.next();
    }
    if (!file.ended) {
      await stop(
        s3Error('AccessDenied', 'The body of your POST request is not well-formed multipart/form-data.'),
      );
      return;
    }
    if (file.bytes < range.min) {
      await stop(
        s3Error('EntityTooSmall', 'Your proposed upload is smaller than the minimum allowed size', {
          MinSizeAllowed: String(range.min),
        }),
      );
      return;
    }
    toUpstream.end(pending);
  }

  function postRequest(request: IncomingMessage): S3HttpRequest {
    return {
      method: 'POST',
      path: (request.url ?? '/').split('?')[0] ?? '/',
      query: {},
      headers: headerMap(request),
      authType: 'POST',
    };
  }

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const method = request.method ?? 'GET';
    const [path = '/', rawQuery = ''] = (request.url ?? '/').split('?', 2);
    if (method === 'OPTIONS') {
      // Without the query: S3 answers a preflight from the bucket's CORS rules alone, while s3rver would try the
      // presigned URL's credentials (a function's key, unknown to it) and refuse the browser's preflight with 403.
      const toUpstream = httpRequest({
        host: upstream.hostname,
        port: upstream.port,
        method,
        path,
        headers: { ...headerMap(request), host: upstream.host },
      });
      relay(toUpstream, response);
      request.pipe(toUpstream);
      return;
    }
    const query = parseQuery(rawQuery);
    const { bucket, key } = bucketAndKey(path);
    const headers = headerMap(request);
    if (method === 'POST' && key === '' && /^multipart\/form-data/i.test(headers['content-type'] ?? '')) {
      await handlePost(request, response, bucket);
      return;
    }
    const verified = await verifyRequest(
      { method, path, query, headers },
      { service: 's3', secretOf: iam.secretOf, now: iam.now },
    );
    const principal = verified.ok ? iam.principalOf(verified.accessKeyId) : undefined;
    if (!verified.ok || principal === undefined) {
      const refusal = verified.ok
        ? { code: 'InvalidAccessKeyId' as const, message: 'unknown key' }
        : verified;
      iam.logRefusal(`S3 ${method} ${path}`, refusal.message);
      const detail: Record<string, string> =
        'accessKeyId' in refusal && refusal.accessKeyId !== undefined
          ? { AWSAccessKeyId: refusal.accessKeyId }
          : {};
      await refuse(request, response, s3Error(refusal.code, refusal.message, detail));
      return;
    }
    const received: S3HttpRequest = { method, path, query, headers, authType: verified.authType };
    let call: MappedCall;
    let body: Buffer | undefined;
    try {
      if (isBatchDelete(received)) {
        const read = await readBody(request, MAX_DELETE_BODY_BYTES);
        if (read === null) throw new UnmappedRequestError('DeleteObjects body too large');
        body = read;
        call = s3DeleteObjectsCall(received, body.toString('utf8'));
      } else {
        call = s3Call(received);
      }
    } catch (error) {
      if (!(error instanceof UnmappedRequestError)) throw error;
      iam.logRefusal(`${principal.functionName} S3 ${method} ${path}`, error.message);
      await refuse(
        request,
        response,
        s3Error('Unmapped', `The local IAM enforcement has no mapping for this request: ${error.message}`),
      );
      return;
    }
    const denied = deny(principal, call);
    if (denied !== undefined) {
      await refuse(request, response, denied);
      return;
    }
    const toUpstream = await upstreamRequest(request, verified.authType === 'REST-QUERY-STRING');
    // S3 answers a missing object with 404 only to a caller that may list the bucket; others get 403, so
    // that no one learns which keys exist without s3:ListBucket (GetObject and HeadObject reference pages).
    relay(toUpstream, response, (status) => {
      if (status !== 404 || (call.operation !== 'GetObject' && call.operation !== 'HeadObject'))
        return undefined;
      const listing = iam.authorize(
        principal,
        {
          operation: `${call.operation} (404 or 403)`,
          requests: [{ action: 's3:ListBucket', resource: bucketArn(bucket), context: {} }],
        },
        transport,
      );
      return listing.allowed ? undefined : s3Error('AccessDenied', 'Access Denied');
    });
    if (body === undefined) request.pipe(toUpstream);
    else toUpstream.end(body);
  }

  return serve(
    handle,
    (error) => s3Error('InternalError', `The local IAM proxy failed: ${String(error)}`),
    options,
  );
}
