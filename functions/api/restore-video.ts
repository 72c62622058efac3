import { adminApiHandler } from '#commons/http';
import { getModerationService } from '#commons/composition-root';
import { parseInput } from '#core/validation';
import { taskIdParameters } from '#core/schemas';

const moderation = getModerationService();

export const handler = adminApiHandler(async (event, admin) => {
  const { id } = parseInput(taskIdParameters, event.pathParameters ?? {}, 'Invalid video id');
  await moderation.restore(admin, id);
  return { statusCode: 204 };
});
