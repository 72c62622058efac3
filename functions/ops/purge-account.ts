import middy from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { invocationEnd } from '#commons/invocation-end';
import { logger } from '#commons/logger';
import { getAccountPurge } from '#commons/composition-root';
import type { PurgeResult } from '#core/ports';
import { purgeAccountEvent } from '#core/schemas';
import { parseInput } from '#core/validation';

const purge = getAccountPurge();

/**
 * Inside the VPC: removes a pilot's tasks, objects, votes and rows (docs/api.md, "Deleting an account").
 * Invoked only by the delete-account function, synchronously, with `{ sub }`; IAM lets nothing else call it.
 */
export const handler = middy<unknown, PurgeResult>()
  .use(injectLambdaContext(logger))
  .use(invocationEnd())
  .handler(async (event) => {
    const { sub } = parseInput(purgeAccountEvent, event, 'Invalid purge event');
    const result = await purge.purge(sub);
    logger.info('Account data purged', { userSub: sub, ...result });
    return result;
  });
