import { authenticatedApiHandler } from '#commons/http';
import { getTaskService } from '#commons/composition-root';
import { parseInput } from '#core/validation';
import { createTaskRequest } from '#core/schemas';

const tasks = getTaskService();

export const handler = authenticatedApiHandler(async (event, caller) => {
  return { statusCode: 201, body: await tasks.create(caller, parseInput(createTaskRequest, event.body)) };
});
