/**
 * Only through the CDN (docs/infra.md, "Only through the CDN"): CloudFront adds this header, with a value only
 * the stack knows, to every request it sends to the HTTP API, and every API function refuses a request without
 * it. The API's default execute-api endpoint, which the CDN itself uses as its origin and so cannot be disabled,
 * answers nobody who comes to it directly: no way around the CDN's caching and the edge's limits.
 */
import { createHash, timingSafeEqual } from 'node:crypto';

/** The request header CloudFront sets (lower case, as API Gateway's v2 events carry header names). */
export const ORIGIN_VERIFY_HEADER = 'x-idrl-origin-verify';

/** The environment variable of every API function that holds the value the header must carry. */
export const ORIGIN_VERIFY_VARIABLE = 'ORIGIN_VERIFY_SECRET';

const digest = (value: string): Buffer => createHash('sha256').update(value).digest();

/**
 * Whether a request may be answered: it carries the secret, or no secret is configured (a handler run outside
 * the stack, as the integration tests run them). Compared in constant time.
 */
export function cameThroughCdn(
  headers: Readonly<Record<string, string | undefined>>,
  secret: string | undefined,
): boolean {
  if (secret === undefined || secret === '') return true;
  const received = headers[ORIGIN_VERIFY_HEADER];
  return received !== undefined && timingSafeEqual(digest(received), digest(secret));
}
