import { authenticatedApiHandler } from '#commons/http';
import { getTaskService } from '#commons/composition-root';
import { logUploadStarted } from '#commons/tracing';
import { parseInput } from '#core/validation';
import { createTaskRequest } from '#core/schemas';

const tasks = getTaskService();

export const handler = authenticatedApiHandler(async (event, caller) => {
  const created = await tasks.create(caller, parseInput(createTaskRequest, event.body));
  logUploadStarted('Task created', created.id);
  return { statusCode: 201, body: created };
});
