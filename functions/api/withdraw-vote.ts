import { authenticatedApiHandler } from '#commons/http';
import { getGalleryService } from '#commons/composition-root';
import { parseInput } from '#core/validation';
import { taskIdParameters } from '#core/schemas';

const gallery = getGalleryService();

export const handler = authenticatedApiHandler(async (event, caller) => {
  const { id } = parseInput(taskIdParameters, event.pathParameters ?? {}, 'Invalid video id');
  await gallery.withdraw(caller, id);
  return { statusCode: 204 };
});
