import middy from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { taskLimits } from '#commons/config';
import { logger } from '#commons/logger';
import { taskRepository } from '#commons/services';
import { systemClock } from '#core/ports';
import { expireAbandonedUploads } from '#core/task-service';

const repository = taskRepository();
const { uploadWindowHours } = taskLimits();

/** Scheduled sweeper: uploads that never arrived fail with a readable reason (SPEC §3). */
export const handler = middy<unknown, { expired: number }>()
  .use(injectLambdaContext(logger))
  .handler(async () => {
    const expired = await expireAbandonedUploads({ repository, clock: systemClock, uploadWindowHours });
    logger.info('Abandoned uploads expired', { expired });
    return { expired };
  });
