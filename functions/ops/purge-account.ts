import { invocableHandler } from '#commons/invocable';
import { logger } from '#commons/logger';
import { getAccountPurge } from '#commons/composition-root';
import { purgeAccountEvent } from '#core/schemas';

const purge = getAccountPurge();

/**
 * Inside the VPC: removes a pilot's tasks, objects, votes and rows (docs/api.md, "Deleting an account").
 * Invoked only by the delete-account function, synchronously, with `{ sub }`; IAM lets nothing else call it.
 */
export const handler = invocableHandler(purgeAccountEvent, async ({ sub }) => {
  const result = await purge.purge(sub);
  logger.info('Account data purged', { userSub: sub, ...result });
  return result;
});
