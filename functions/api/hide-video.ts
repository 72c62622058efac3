import { adminApiHandler } from '#commons/http';
import { getModerationService } from '#commons/composition-root';
import { parseInput } from '#core/validation';
import { moderationRequest, taskIdParameters } from '#core/schemas';

const moderation = getModerationService();

export const handler = adminApiHandler(async (event, admin) => {
  const { id } = parseInput(taskIdParameters, event.pathParameters ?? {}, 'Invalid video id');
  await moderation.hide(admin, id, parseInput(moderationRequest, event.body).reason);
  return { statusCode: 204 };
});
