/**
 * Putting a task back on the upload queue from the worker, inside the VPC, where SQS is unreachable and
 * only S3 is (docs/worker.md, "Re-enqueueing"): an empty marker object under requeue/ whose S3
 * notification reaches the same queue; the worker resolves it to the task's upload and deletes it.
 * (The sweeper and the retry route queue with SQS SendMessage, from their halves outside the VPC.)
 */
import { randomUUID } from 'node:crypto';
import { requeueKey } from './object-keys';
import type { ObjectStore } from './ports';

export async function requeueTask(store: ObjectStore, taskId: number): Promise<void> {
  await store.putEmpty(requeueKey(taskId, randomUUID()));
}
