/**
 * GET /v/{id}: a published video's lasting address as an HTML page for link previews (Open Graph, Twitter cards)
 * that opens the console on the video. Cached like the public JSON answers; anything not published is a 404 page.
 */
import middy from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { getGalleryService } from '#commons/composition-root';
import { PUBLIC_CACHE_CONTROL } from '#commons/http';
import { invocationEnd } from '#commons/invocation-end';
import { logger } from '#commons/logger';
import { NotFoundError, ValidationError } from '#core/errors';
import { taskIdParameters } from '#core/schemas';
import { notFoundPage, sharePage } from '#core/share-page';
import { parseInput } from '#core/validation';

const gallery = getGalleryService();

/** No script, no style, no frame: the page is meta tags, a redirect and one link. */
const HEADERS = {
  'content-type': 'text/html; charset=utf-8',
  'content-security-policy':
    "default-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
};

async function page(event: APIGatewayProxyEventV2): Promise<APIGatewayProxyStructuredResultV2> {
  try {
    const { id } = parseInput(taskIdParameters, event.pathParameters ?? {}, 'Invalid video id');
    const video = await gallery.get(id);
    return {
      statusCode: 200,
      headers: { ...HEADERS, 'cache-control': PUBLIC_CACHE_CONTROL },
      body: sharePage(video),
    };
  } catch (error) {
    // A malformed id names no video either: the same page, never cached (it may be published a moment later).
    if (error instanceof NotFoundError || error instanceof ValidationError)
      return { statusCode: 404, headers: { ...HEADERS, 'cache-control': 'no-store' }, body: notFoundPage() };
    throw error;
  }
}

export const handler = middy<APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2>()
  .use(injectLambdaContext(logger))
  .use(invocationEnd())
  .handler(page);
