import { apiHandler } from '#commons/http';
import { getGalleryService } from '#commons/composition-root';
import { parseInput } from '#core/validation';
import { taskIdParameters } from '#core/schemas';

const gallery = getGalleryService();

export const handler = apiHandler(async (event) => {
  const { id } = parseInput(taskIdParameters, event.pathParameters ?? {}, 'Invalid video id');
  return { statusCode: 200, body: await gallery.get(id), cacheable: true };
});
