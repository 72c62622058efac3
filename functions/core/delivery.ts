/**
 * The delivery contract between the upload queue and the worker, in one module: the CDK stack, the
 * local stack and the worker's configuration all read it, so the number of receives the queue
 * allows, the visibility timeout and the sweeper's "stalled" bound cannot drift apart.
 * docs/worker.md ("Failure classes and retries without a DLQ consumer" and "Stalled tasks") explains the numbers.
 */

/** Receives after which a message goes to the DLQ; the worker's last attempt is the one that reaches it. */
export const MAX_RECEIVE_COUNT = 3;

/** The worker function's timeout unless configured otherwise (CDK context, the local stack's option). */
export const DEFAULT_WORKER_TIMEOUT_SECONDS = 180;

/** AWS's guidance for SQS event sources: a visibility timeout of at least six times the function timeout. */
export const VISIBILITY_TIMEOUT_FACTOR = 6;

/** The queue's visibility timeout for a worker with this timeout. */
export function visibilityTimeoutSeconds(workerTimeoutSeconds: number): number {
  return workerTimeoutSeconds * VISIBILITY_TIMEOUT_FACTOR;
}

/**
 * How long a task may sit in 'uploaded' or 'processing' before the sweeper fails it: past this, no
 * receive of its message can still be pending or running. `redeliverySeconds` is the longest two
 * receives of one message can be apart (SQS: the visibility timeout).
 */
export function stalledAfterSeconds(queue: { redeliverySeconds: number; maxReceiveCount: number }): number {
  return queue.redeliverySeconds * (queue.maxReceiveCount + 1);
}
