import { adminApiHandler } from '#commons/http';
import { getModerationService } from '#commons/composition-root';
import { parseInput } from '#core/validation';
import { moderationRequest, pilotParameters } from '#core/schemas';

const moderation = getModerationService();

export const handler = adminApiHandler(async (event, admin) => {
  const { username } = parseInput(pilotParameters, event.pathParameters ?? {}, 'Invalid pilot');
  await moderation.annulVotes(admin, username, parseInput(moderationRequest, event.body).reason);
  return { statusCode: 204 };
});
