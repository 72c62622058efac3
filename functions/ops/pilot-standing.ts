import { invocableHandler } from '#commons/invocable';
import { logger } from '#commons/logger';
import { getModerationService } from '#commons/composition-root';
import { pilotStandingEvent } from '#core/schemas';

const moderation = getModerationService();

/**
 * Inside the VPC: the database half of suspending and reinstating a pilot (docs/api.md, "Moderation"): their videos
 * leave or rejoin the public side, their votes leave or rejoin the counts, and the audit log says who did it.
 * Invoked only by the suspend and reinstate routes' functions, synchronously; IAM lets nothing else call it.
 */
export const handler = invocableHandler(pilotStandingEvent, async ({ sub, username, admin, suspension }) => {
  const result = await moderation.recordStanding({ sub, username }, suspension, admin);
  logger.info(suspension === null ? 'Pilot reinstated' : 'Pilot suspended', { userSub: sub, ...result });
  return result;
});
