/**
 * GET / and GET /assets/{file}: the web console (web/), built by esbuild into a generated module
 * that is bundled into this function, so serving it needs no S3 bucket, CDN or file copying.
 *
 * The page is revalidated on every visit (no-cache + ETag) and names its scripts and styles by
 * content hash, so those are cached for a year as immutable. The Content-Security-Policy allows
 * only this origin for code, styles and API calls, and this deployment's bucket for uploads, playback and
 * thumbnails (docs/console.md, "Content-Security-Policy").
 */
import { gzipSync } from 'node:zlib';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { consoleBundle } from '#web/console-bundle.generated';
import type { ConsoleAsset } from '#web/console-bundle';
import { ORIGIN_VERIFY_VARIABLE, cameThroughCdn } from '#core/edge-origin';

/**
 * Where presigned S3 URLs of this deployment's bucket point, and nothing else. On AWS the SDK presigns
 * virtual-hosted URLs on the regional endpoint (`https://<bucket>.s3.<region>.amazonaws.com`, us-east-1 too);
 * with S3_ENDPOINT (local s3rver, or any S3-compatible store) they are on that endpoint, or on the bucket's
 * subdomain of it.
 */
export function storageSources(env: Record<string, string | undefined>): string[] {
  const bucket = requiredVariable(env, 'BUCKET_NAME');
  const endpoint = env.S3_ENDPOINT?.trim();
  if (!endpoint) return [`https://${bucket}.s3.${requiredVariable(env, 'AWS_REGION')}.amazonaws.com`];
  const url = URL.parse(endpoint);
  if (url === null || !['http:', 'https:'].includes(url.protocol))
    throw new Error(`Environment variable S3_ENDPOINT must be an http(s) URL, got "${endpoint}"`);
  const { protocol, host } = url;
  const sources = [`${protocol}//${host}`];
  if (env.S3_FORCE_PATH_STYLE !== 'true') sources.push(`${protocol}//${bucket}.${host}`);
  return sources;
}

function requiredVariable(env: Record<string, string | undefined>, name: string): string {
  const value = env[name]?.trim();
  if (!value) throw new Error(`Environment variable ${name} is required`);
  return value;
}

export function contentSecurityPolicy(storage: string[]): string {
  const sources = storage.join(' ');
  return [
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self'",
    `img-src 'self' ${sources}`,
    // blob: is the pilot's own file, played from an object URL to choose the cut before uploading it.
    `media-src blob: ${sources}`,
    `connect-src 'self' ${sources}`,
    "form-action 'none'",
    "base-uri 'none'",
    "frame-ancestors 'none'",
    // The console builds DOM with createElement/textContent only, so no HTML sink is ever needed.
    "require-trusted-types-for 'script'",
    "trusted-types 'none'",
  ].join('; ');
}

const CSP = contentSecurityPolicy(storageSources(process.env));

const COMMON_HEADERS = {
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cross-origin-resource-policy': 'same-origin',
};

const PAGE_HEADERS = {
  ...COMMON_HEADERS,
  'content-security-policy': CSP,
  'cross-origin-opener-policy': 'same-origin',
  'x-frame-options': 'DENY',
  'permissions-policy': 'camera=(), microphone=(), geolocation=(), payment=(), usb=()',
  'strict-transport-security': 'max-age=31536000; includeSubDomains',
  'cache-control': 'no-cache',
};

const ASSET_HEADERS = { ...COMMON_HEADERS, 'cache-control': 'public, max-age=31536000, immutable' };

/** Smaller bodies gain nothing from compression. */
const GZIP_MIN_BYTES = 1024;
const gzipped = new Map<ConsoleAsset, string>();

function gzipBase64(asset: ConsoleAsset): string {
  let body = gzipped.get(asset);
  if (body === undefined) {
    body = gzipSync(asset.body, { level: 9 }).toString('base64');
    gzipped.set(asset, body);
  }
  return body;
}

function acceptsGzip(event: APIGatewayProxyEventV2): boolean {
  return /\bgzip\b/.test(event.headers['accept-encoding'] ?? '');
}

function respond(
  event: APIGatewayProxyEventV2,
  asset: ConsoleAsset,
  headers: Record<string, string>,
): APIGatewayProxyStructuredResultV2 {
  const common = { ...headers, etag: asset.etag, vary: 'Accept-Encoding' };
  const validators = (event.headers['if-none-match'] ?? '')
    .split(',')
    .map((tag) => tag.trim().replace(/^W\//, ''));
  if (validators.includes(asset.etag) || validators.includes('*'))
    return { statusCode: 304, headers: common };
  const base = { statusCode: 200, headers: { ...common, 'content-type': asset.contentType } };
  if (Buffer.byteLength(asset.body) >= GZIP_MIN_BYTES && acceptsGzip(event)) {
    return {
      ...base,
      headers: { ...base.headers, 'content-encoding': 'gzip' },
      body: gzipBase64(asset),
      isBase64Encoded: true,
    };
  }
  return { ...base, body: asset.body };
}

function jsonAnswer(statusCode: number, body: object): APIGatewayProxyStructuredResultV2 {
  return {
    statusCode,
    headers: { ...COMMON_HEADERS, 'content-type': 'application/json', 'cache-control': 'no-store' },
    body: JSON.stringify(body),
  };
}

function serve(event: APIGatewayProxyEventV2): APIGatewayProxyStructuredResultV2 {
  // Only through the CDN, as every API route (functions/core/edge-origin.ts).
  if (!cameThroughCdn(event.headers, process.env[ORIGIN_VERIFY_VARIABLE]))
    return jsonAnswer(403, { message: 'Forbidden' });
  const file = event.pathParameters?.file;
  if (file === undefined) return respond(event, consoleBundle.html, PAGE_HEADERS);
  const asset = Object.hasOwn(consoleBundle.assets, file) ? consoleBundle.assets[file] : undefined;
  if (asset === undefined) return jsonAnswer(404, { message: 'Not found' });
  return respond(event, asset, ASSET_HEADERS);
}

export function handler(event: APIGatewayProxyEventV2): Promise<APIGatewayProxyStructuredResultV2> {
  return Promise.resolve(serve(event));
}
