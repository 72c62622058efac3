/**
 * The X-Ray trace context of one task (docs/operations.md, "Tracing"). Lambda's active tracing gives every
 * invocation a trace header (`_X_AMZN_TRACE_ID`, read through Powertools' own helper, which the logger already
 * bundles); the request that starts an upload stores it in the object's user metadata, so every delivery of that
 * upload (S3's notification, the sweeper's and the retry route's re-queues, a DLQ redrive) finds the task's trace
 * on the object it processes. S3 → SQS notifications carry no attributes of ours, hence the metadata.
 */
import { getXrayTraceDataFromEnv } from '@aws-lambda-powertools/commons/utils/env';
import { logger } from '#commons/logger';

/** An X-Ray trace id: version 1, the epoch second in hex, 96 random bits in hex. */
const TRACE_ID = /^1-[0-9a-f]{8}-[0-9a-f]{24}$/;
/** A segment id: 64 bits in hex. */
const SEGMENT_ID = /^[0-9a-f]{16}$/;

/**
 * The current invocation's trace header, reduced to what a child needs (`Root`, `Parent`, `Sampled`), or
 * undefined outside a traced invocation.
 */
export function currentTraceHeader(): string | undefined {
  const data = getXrayTraceDataFromEnv();
  const root = data?.Root;
  if (root === undefined || !TRACE_ID.test(root)) return undefined;
  const parent = data?.Parent !== undefined && SEGMENT_ID.test(data.Parent) ? `;Parent=${data.Parent}` : '';
  return `Root=${root}${parent};Sampled=${data?.Sampled === '1' ? '1' : '0'}`;
}

/**
 * The trace id of a stored header, or undefined when it is absent or not an X-Ray header: the value comes
 * back from object metadata, which is logged, so anything else is dropped rather than echoed.
 */
export function traceIdOf(header: string | undefined): string | undefined {
  const root = header
    ?.split(';')
    .map((field) => field.split('='))
    .find(([key]) => key === 'Root')?.[1];
  return root !== undefined && TRACE_ID.test(root) ? root : undefined;
}

/**
 * The first line of a task's story, from the request whose trace the upload's object keeps: the worker logs the
 * same `taskId` and `traceId` (docs/operations.md, "Tracing").
 */
export function logUploadStarted(message: string, taskId: number): void {
  logger.info(message, { taskId, traceId: traceIdOf(currentTraceHeader()) });
}
