/**
 * Putting a task back on the upload queue from code that runs inside the VPC (sweeper, task API),
 * where SQS is unreachable and only S3 is (docs/worker.md, "Re-enqueueing"): an empty marker object
 * under requeue/ whose S3 notification reaches the same queue; the worker resolves it to the task's
 * upload and deletes it.
 */
import { randomUUID } from 'node:crypto';
import { requeueKey } from './object-keys';
import type { ObjectStore } from './ports';

export async function requeueTask(store: ObjectStore, taskId: number): Promise<void> {
  await store.putEmpty(requeueKey(taskId, randomUUID()));
}
