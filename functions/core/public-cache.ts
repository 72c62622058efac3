/**
 * How long the public answers of docs/spec.md §5 may be reused, and how long the media URLs inside them
 * stay valid. The HTTP layer sends the first as `Cache-Control: public, max-age`, the CDN and
 * browsers honour it; the gallery signs its URLs with the second. A cached answer must never hold
 * a dead link, so the URLs outlive the cache by far (a browser may keep a page open for a while
 * before pressing play).
 */
export const PUBLIC_MAX_AGE_SECONDS = 30;
export const PUBLIC_MEDIA_URL_TTL_SECONDS = 3600;
