/**
 * `POST /api/tasks/{id}/retry` (docs/api.md, "Retry"), outside the VPC: the transition inside it, then the
 * upload back on the queue with SQS SendMessage, which only a function outside the VPC reaches. A message that
 * cannot be sent reverts the transition, so no task waits in 'uploaded' for a message that never comes, and the
 * pilot hears 503 with Retry-After.
 */
import { ServiceUnavailableError } from './errors';
import type { QueuedUpload, RetryTransitions, UploadQueue } from './ports';
import type { TaskResponse } from './schemas';
import type { Caller } from './task';

/** Seconds before a pilot retries a retry that SQS refused: its refusals are brief (throttling, a blip). */
const QUEUE_RETRY_AFTER_SECONDS = 5;

export class TaskRetryService {
  constructor(
    private readonly deps: {
      transitions: RetryTransitions;
      queue: UploadQueue;
    },
  ) {}

  async retry(caller: Caller, id: number): Promise<TaskResponse> {
    const { task, upload } = await this.deps.transitions.begin(caller, id);
    await this.queue(caller, upload);
    return task;
  }

  private async queue(caller: Caller, upload: QueuedUpload): Promise<void> {
    try {
      await this.deps.queue.send([upload]);
    } catch (error) {
      try {
        await this.deps.transitions.revert(caller, upload.taskId);
      } catch (revertError) {
        // Both go to the log with the 500; the task then waits in 'uploaded' until the sweeper fails it as stalled.
        throw new AggregateError([error, revertError], 'The retry could neither be queued nor reverted', {
          cause: revertError,
        });
      }
      // Undone cleanly: the task is failed and retryable again, so the pilot may simply try again shortly.
      throw new ServiceUnavailableError('The retry could not be queued', {
        cause: error,
        retryAfterSeconds: QUEUE_RETRY_AFTER_SECONDS,
      });
    }
  }
}
