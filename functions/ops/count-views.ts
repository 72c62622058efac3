import type { SQSEvent } from 'aws-lambda';
import middy from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { getViewCounter } from '#commons/composition-root';
import { invocationEnd } from '#commons/invocation-end';
import { logger } from '#commons/logger';

const counter = getViewCounter();

/**
 * The views queue's consumer inside the VPC (docs/infra.md, "Views"): a batch is counted in one statement, so a
 * failure fails the whole batch, and its redelivery counts nothing twice (the dedup rows decide). A malformed
 * message is dropped, not retried: it would fail every time.
 */
export const handler = middy<SQSEvent>()
  .use(injectLambdaContext(logger))
  .use(invocationEnd())
  .handler(async (event) => {
    const report = await counter.count(event.Records.map((record) => record.body));
    if (report.dropped > 0) logger.warn('View messages dropped', { dropped: report.dropped });
    logger.info('Views counted', { ...report });
  });
