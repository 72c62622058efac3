import { adminApiHandler } from '#commons/http';
import { getPilotStandingService } from '#commons/composition-root';
import { parseInput } from '#core/validation';
import { pilotParameters } from '#core/schemas';

const standing = getPilotStandingService();

export const handler = adminApiHandler(async (event, admin) => {
  const { username } = parseInput(pilotParameters, event.pathParameters ?? {}, 'Invalid pilot');
  await standing.reinstate(admin, username);
  return { statusCode: 204 };
});
