import { authenticatedApiHandler } from '#commons/http';
import { getTaskService } from '#commons/composition-root';
import { parseInput } from '#core/validation';
import { taskIdParameters, updateTaskRequest } from '#core/schemas';

const tasks = getTaskService();

export const handler = authenticatedApiHandler(async (event, caller) => {
  const { id } = parseInput(taskIdParameters, event.pathParameters ?? {}, 'Invalid task id');
  return { statusCode: 200, body: await tasks.update(caller, id, parseInput(updateTaskRequest, event.body)) };
});
