import { authenticatedApiHandler } from '#commons/http';
import { taskService } from '#commons/services';
import { parseInput } from '#core/validation';
import { taskIdParameters } from '#core/schemas';

const tasks = taskService();

export const handler = authenticatedApiHandler(async (event, caller) => {
  const { id } = parseInput(taskIdParameters, event.pathParameters ?? {}, 'Invalid task id');
  await tasks.delete(caller, id);
  return { statusCode: 204 };
});
