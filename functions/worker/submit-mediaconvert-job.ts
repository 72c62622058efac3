/**
 * Submitter entry (MediaConvert backend only): S3 ObjectCreated on processed/{id}/mediaconvert-job.json
 * → this function, outside the VPC → CreateJob. A failure is retried by Lambda's asynchronous
 * invocation; a job that is never created leaves the task to the stalled-task sweeper (docs/worker.md).
 */
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import type { S3Event } from 'aws-lambda';
import { MediaConvertJobSubmitter } from '#adapters/mediaconvert/job-submitter';
import { mediaConvertClient } from '#commons/clients';
import { mediaConvertConfig } from '#commons/config';
import { logger } from '#commons/logger';
import { getObjectStore } from '#commons/composition-root';
import { decodeNotificationKey } from '#core/upload-notification';

const submitter = new MediaConvertJobSubmitter(getObjectStore(), mediaConvertClient(), mediaConvertConfig());

export const handler = middy<S3Event>()
  .use(injectLambdaContext(logger, { resetKeys: true }))
  .handler(async (event) => {
    for (const record of event.Records) {
      const key = decodeNotificationKey(record.s3.object.key);
      const jobId = await submitter.submit(key);
      logger.info('MediaConvert job created', { key, jobId });
    }
  });
