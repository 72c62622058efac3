/**
 * The address a per-client limit counts (docs/infra.md, "Without WAF: the API's own count"). Behind the CDN,
 * API Gateway's `sourceIp` is a CloudFront edge's, shared by every viewer of that edge; CloudFront names the
 * viewer in CloudFront-Viewer-Address (`ip:port`) when the behaviour's origin request policy includes it. A
 * client can send a header of that name too, so it counts only on a request that proved it came through the
 * CDN (the origin secret, functions/core/edge-origin.ts), which CloudFront then built itself. X-Forwarded-For
 * is never read: every proxy on the way, and the client first, can write it.
 */
import { isIP } from 'node:net';
import { cameThroughCdn } from '#core/edge-origin';

/** The request header CloudFront adds (lower case, as API Gateway's v2 events carry header names). */
export const VIEWER_ADDRESS_HEADER = 'cloudfront-viewer-address';

/** IPv4 addresses seen through an IPv6 socket (`::ffff:198.51.100.10`): the same client as the IPv4 form. */
const IPV4_MAPPED = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i;

/**
 * The IP address in a CloudFront-Viewer-Address value, or undefined when the value is not `address:port`.
 * IPv4 is `198.51.100.10:46532`; IPv6 comes with or without brackets (`[2001:db8::1]:443`, `2001:db8::1:443`):
 * the port is always after the last colon. IPv6 is lower-cased so one address has one spelling.
 */
export function parseViewerAddress(value: string): string | undefined {
  const match = /^\[([^\]]+)\]:(\d{1,5})$/.exec(value) ?? /^(.+):(\d{1,5})$/.exec(value);
  if (match === null) return undefined;
  const [, address = '', port = ''] = match;
  if (Number(port) > 65_535 || isIP(address) === 0) return undefined;
  return canonicalAddress(address);
}

/** One spelling per client: IPv4-mapped IPv6 as IPv4, IPv6 in lower case. */
export function canonicalAddress(address: string): string {
  return IPV4_MAPPED.exec(address)?.[1] ?? address.toLowerCase();
}

/**
 * The client's address: CloudFront's viewer address on a request that carries the origin secret, otherwise the
 * connection's own (`sourceIp`). Without a configured secret (a handler run outside the stack) nothing proves a
 * header's origin, so it is never used.
 */
export function clientAddress(
  request: { headers: Readonly<Record<string, string | undefined>>; sourceIp: string },
  secret: string | undefined,
): string {
  const viewer = request.headers[VIEWER_ADDRESS_HEADER];
  const proven = secret !== undefined && secret !== '' && cameThroughCdn(request.headers, secret);
  const parsed = proven && viewer !== undefined ? parseViewerAddress(viewer) : undefined;
  return parsed ?? canonicalAddress(request.sourceIp);
}
