import { authenticatedApiHandler } from '#commons/http';
import { getTaskService } from '#commons/composition-root';
import { parseInput } from '#core/validation';
import { taskIdParameters } from '#core/schemas';

const tasks = getTaskService();

/** 202: the task is back in 'uploaded' and queued; processing happens asynchronously, as after an upload. */
export const handler = authenticatedApiHandler(async (event, caller) => {
  const { id } = parseInput(taskIdParameters, event.pathParameters ?? {}, 'Invalid task id');
  return { statusCode: 202, body: await tasks.retry(caller, id) };
});
