import { apiHandler } from '#commons/http';
import { getGalleryService } from '#commons/composition-root';
import { parseInput } from '#core/validation';
import { rankingsQuery } from '#core/schemas';
import { DEFAULT_RANKINGS_PAGE_SIZE } from '#core/gallery-service';

const gallery = getGalleryService();

export const handler = apiHandler(async (event) => {
  const query = parseInput(rankingsQuery, event.queryStringParameters ?? {}, 'Invalid query parameters');
  return {
    statusCode: 200,
    body: await gallery.rankings({
      limit: query.limit ?? DEFAULT_RANKINGS_PAGE_SIZE,
      offset: query.offset ?? 0,
    }),
    cacheable: true,
  };
});
