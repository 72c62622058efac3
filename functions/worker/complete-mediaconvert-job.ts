/**
 * Completion entry (MediaConvert backend only): EventBridge "MediaConvert Job State Change" COMPLETE or
 * ERROR in this stack's queue → this function → the task becomes processed or failed. Repeated and
 * late events are no-ops (conditional transitions); docs/worker.md ("MediaConvert") has the flow.
 */
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import { parseJobStateChange } from '#adapters/mediaconvert/job-event';
import { invocationEnd } from '#commons/invocation-end';
import { logger } from '#commons/logger';
import { getObjectStore, getTaskRepository } from '#commons/composition-root';
import { completeJob } from '#core/upload-processing';
import { fairShareConfig } from '#commons/config';

const deps = { tasks: getTaskRepository(), objects: getObjectStore() };
const { maxConcurrentEditsPerPilot } = fairShareConfig();
const metrics = new Metrics();

export const handler = middy()
  .use(injectLambdaContext(logger, { resetKeys: true }))
  .use(logMetrics(metrics))
  // It uses the database: a pausing one must see its connection closed when the invocation ends.
  .use(invocationEnd())
  .handler(async (event) => {
    const job = parseJobStateChange(event);
    if (job === null) return;
    logger.appendKeys({ taskId: job.taskId });
    const outcome = await completeJob(deps, job, maxConcurrentEditsPerPilot);
    if (outcome.kind === 'processed') metrics.addMetric('VideosProcessed', MetricUnit.Count, 1);
    if (outcome.kind === 'failed') metrics.addMetric('VideosFailed', MetricUnit.Count, 1);
    logger.info('MediaConvert job recorded', { outcome });
  });
