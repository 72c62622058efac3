import { authenticatedApiHandler } from '#commons/http';
import { getTaskRetryService } from '#commons/composition-root';
import { parseInput } from '#core/validation';
import { taskIdParameters } from '#core/schemas';

const retries = getTaskRetryService();

/**
 * 202: the task is back in 'uploaded' and queued; processing happens asynchronously, as after an upload. Outside
 * the VPC: the transition is functions/ops/retry-transition.ts inside it, the queue is SQS (docs/api.md, "Retry").
 */
export const handler = authenticatedApiHandler(async (event, caller) => {
  const { id } = parseInput(taskIdParameters, event.pathParameters ?? {}, 'Invalid task id');
  return { statusCode: 202, body: await retries.retry(caller, id) };
});
