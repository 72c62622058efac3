import { authenticatedApiHandler } from '#commons/http';
import { taskService } from '#commons/services';
import { parseInput } from '#core/validation';
import { taskIdParameters } from '#core/schemas';

const tasks = taskService();

export const handler = authenticatedApiHandler(async (event, caller) => {
  const { id } = parseInput(taskIdParameters, event.pathParameters ?? {}, 'Invalid task id');
  return { statusCode: 200, body: await tasks.get(caller, id) };
});
