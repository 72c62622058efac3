/**
 * The SQS worker as a factory over its dependencies: functions/worker/process-upload.ts wires the
 * real adapters at module scope, tests wire fakes (unit) or the local services (integration).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { MetricUnit, type Metrics } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import type { Context, SQSBatchItemFailure, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { invocationEnd } from '#commons/invocation-end';
import { traceIdOf } from '#commons/tracing';
import type { TraceSegment } from '#adapters/xray/udp-segments';
import type { UploadedObject, UploadOutcome, UploadProcessingService } from '#core/upload-processing';
import { MalformedNotificationError } from '#core/processing-errors';
import { taskIdFromKey } from '#core/object-keys';
import { parseUploadNotification } from '#core/upload-notification';

export interface ProcessUploadHandlerDependencies {
  service: UploadProcessingService;
  logger: Logger;
  metrics: Metrics;
  /**
   * The trace header stored with an uploaded object (functions/commons/tracing.ts): the task's trace, whose id
   * every line about the upload carries. @default none
   */
  traceHeaderOf?: (key: string) => Promise<string | undefined>;
  /** Records the processing of an upload as a segment of the task's trace (X-Ray, on AWS). @default none */
  segments?: { record(segment: TraceSegment): Promise<void> };
  /**
   * Kept back from the Lambda timeout: ffmpeg is stopped this long before it, leaving time to
   * record the outcome and clean up. @default 15000
   */
  safetyMarginMs?: number;
}

const DEFAULT_SAFETY_MARGIN_MS = 15_000;

/**
 * Added to the invocation's time budget to get the processing lease: the budget at the start of
 * an invocation is slightly under the configured timeout, and the database clock may run ahead.
 */
const LEASE_SLACK_SECONDS = 30;

export function createProcessUploadHandler(deps: ProcessUploadHandlerDependencies) {
  const { service, logger, metrics } = deps;
  const safetyMarginMs = deps.safetyMarginMs ?? DEFAULT_SAFETY_MARGIN_MS;

  function record(outcome: UploadOutcome, object: UploadedObject, sentAt: number): void {
    switch (outcome.kind) {
      case 'processed':
        metrics.addMetric('ProcessingSeconds', MetricUnit.Seconds, outcome.metadata.processingMs / 1000);
        // From the message's send (S3's notification of the upload, or a re-queue) to the recorded edit: what a
        // pilot waits after the upload, the queue's wait included (the dashboard's "Message sent → processed").
        if (Number.isFinite(sentAt))
          metrics.addMetric(
            'SentToProcessedSeconds',
            MetricUnit.Seconds,
            Math.max(0, Date.now() - sentAt) / 1000,
          );
        metrics.addMetric('SourceBytesRead', MetricUnit.Bytes, outcome.metadata.sourceBytesRead);
        metrics.addMetric('OutputBytes', MetricUnit.Bytes, outcome.metadata.sizeBytes);
        metrics.addMetric('VideosProcessed', MetricUnit.Count, 1);
        logger.info('Video processed', { outcome });
        return;
      case 'failed':
        metrics.addMetric('VideosFailed', MetricUnit.Count, 1);
        logger.warn('Video failed', { outcome });
        return;
      case 'parked':
        // Not a failure: the pilot's own edits fill their share of the fleet (docs/worker.md, "A fair worker").
        metrics.addMetric('EditsParked', MetricUnit.Count, 1);
        logger.info('Edit parked: its pilot has the allowed edits in progress', { outcome });
        return;
      case 'replay-deleted':
        // A second post to a single-use grant (docs/worker.md, "Single-use uploads"): deleted, never edited.
        metrics.addMetric('UploadsReplayed', MetricUnit.Count, 1);
        logger.warn('A later version of an upload was deleted', { outcome, key: object.key });
        return;
      case 'submitted':
        metrics.addMetric('VideosSubmitted', MetricUnit.Count, 1);
        logger.info('Video validated and submitted to MediaConvert', { outcome });
        return;
      default:
        logger.info('Upload notification needed no processing', { outcome, key: object.key });
    }
  }

  /** Tracing must never fail an upload: a lookup that fails leaves the lines without the task's trace id. */
  async function taskTraceHeader(key: string): Promise<string | undefined> {
    try {
      const header = await deps.traceHeaderOf?.(key);
      return traceIdOf(header) === undefined ? undefined : header;
    } catch (error) {
      logger.warn("The upload's trace could not be read", { error, key });
      return undefined;
    }
  }

  async function processObject(
    object: UploadedObject,
    receiveCount: number,
    context: Context,
    sentAt: number,
  ): Promise<void> {
    const taskId = taskIdFromKey(object.key);
    const traceHeader = await taskTraceHeader(object.key);
    logger.appendKeys({ taskId, traceId: traceIdOf(traceHeader) });
    const startedAt = new Date();
    let outcomeKind = 'redelivered';
    const budgetMs = context.getRemainingTimeInMillis();
    const workDir = await mkdtemp(join(tmpdir(), 'idrl-worker-'));
    try {
      const outcome = await service.handle(object, {
        receiveCount,
        deadline: new Date(Date.now() + budgetMs - safetyMarginMs),
        workDir,
        reclaimAfterSeconds: Math.ceil(budgetMs / 1000) + LEASE_SLACK_SECONDS,
      });
      outcomeKind = outcome.kind;
      record(outcome, object, sentAt);
    } finally {
      await rm(workDir, { recursive: true, force: true });
      if (traceHeader !== undefined)
        await deps.segments?.record({
          traceHeader,
          startedAt,
          endedAt: new Date(),
          annotations: { taskId: taskId ?? object.key, outcome: outcomeKind, receiveCount },
          fault: outcomeKind === 'redelivered',
        });
    }
  }

  async function processRecord(sqsRecord: SQSRecord, context: Context): Promise<void> {
    logger.appendKeys({ messageId: sqsRecord.messageId });
    let notification;
    try {
      notification = parseUploadNotification(sqsRecord.body);
    } catch (error) {
      // Redelivering a body that can never parse only delays the DLQ; acknowledge and keep it in the logs.
      if (!(error instanceof MalformedNotificationError)) throw error;
      logger.error('Discarding a message that is not an S3 notification', {
        error,
        body: sqsRecord.body.slice(0, 2000),
      });
      return;
    }
    if (notification.kind === 'test') {
      logger.info('Ignoring s3:TestEvent');
      return;
    }
    const receiveCount = Number(sqsRecord.attributes.ApproximateReceiveCount);
    const sentAt = Number(sqsRecord.attributes.SentTimestamp);
    for (const object of notification.objects) await processObject(object, receiveCount, context, sentAt);
  }

  return middy<SQSEvent, SQSBatchResponse>()
    .use(injectLambdaContext(logger, { resetKeys: true }))
    .use(invocationEnd())
    .use(logMetrics(metrics))
    .handler(async (event, context) => {
      const batchItemFailures: SQSBatchItemFailure[] = [];
      for (const sqsRecord of event.Records) {
        try {
          await processRecord(sqsRecord, context);
        } catch (error) {
          logger.error('Upload processing failed; the message will be redelivered', { error });
          batchItemFailures.push({ itemIdentifier: sqsRecord.messageId });
        } finally {
          logger.removeKeys(['messageId', 'taskId', 'traceId']);
        }
      }
      return { batchItemFailures };
    });
}
