import { adminApiHandler } from '#commons/http';
import { getPilotStandingService } from '#commons/composition-root';
import { parseInput } from '#core/validation';
import { moderationRequest, pilotParameters } from '#core/schemas';

const standing = getPilotStandingService();

export const handler = adminApiHandler(async (event, admin) => {
  const { username } = parseInput(pilotParameters, event.pathParameters ?? {}, 'Invalid pilot');
  await standing.suspend(admin, username, parseInput(moderationRequest, event.body).reason);
  return { statusCode: 204 };
});
