import { apiHandler } from '#commons/http';
import { getGalleryService } from '#commons/composition-root';
import { parseInput } from '#core/validation';
import { pilotParameters, publicVideosQuery } from '#core/schemas';
import { DEFAULT_GALLERY_PAGE_SIZE } from '#core/gallery-service';

const gallery = getGalleryService();

export const handler = apiHandler(async (event) => {
  const { username } = parseInput(pilotParameters, event.pathParameters ?? {}, 'Invalid pilot');
  const query = parseInput(publicVideosQuery, event.queryStringParameters ?? {}, 'Invalid query parameters');
  return {
    statusCode: 200,
    body: await gallery.pilot(username, {
      max: query.max ?? DEFAULT_GALLERY_PAGE_SIZE,
      cursor: query.cursor,
    }),
    cacheable: true,
  };
});
