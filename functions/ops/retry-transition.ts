import { invocableHandler } from '#commons/invocable';
import { getTaskService } from '#commons/composition-root';
import { retryTransitionEvent } from '#core/schemas';

const tasks = getTaskService();

/**
 * Inside the VPC: the database half of POST /api/tasks/{id}/retry (TaskService.beginRetry, .revertRetry). Invoked
 * only by the retry route's function, synchronously, with the caller its authorizer verified; IAM lets nothing
 * else call it.
 */
export const handler = invocableHandler(retryTransitionEvent, async ({ action, caller, id }) =>
  action === 'begin' ? tasks.beginRetry(caller, id) : tasks.revertRetry(caller, id).then(() => null),
);
