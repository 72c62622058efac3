import { authenticatedApiHandler } from '#commons/http';
import { taskService } from '#commons/services';
import { parseInput } from '#core/validation';
import { createTaskRequest } from '#core/schemas';

const tasks = taskService();

export const handler = authenticatedApiHandler(async (event, caller) => {
  return { statusCode: 201, body: await tasks.create(caller, parseInput(createTaskRequest, event.body)) };
});
