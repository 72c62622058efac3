import { authenticatedApiHandler } from '#commons/http';
import { getTaskService } from '#commons/composition-root';
import { logger } from '#commons/logger';
import { currentTraceHeader, traceIdOf } from '#commons/tracing';
import { parseInput } from '#core/validation';
import { createTaskRequest } from '#core/schemas';

const tasks = getTaskService();

export const handler = authenticatedApiHandler(async (event, caller) => {
  const created = await tasks.create(caller, parseInput(createTaskRequest, event.body));
  // The first line of the task's story: the worker logs the same taskId and traceId (docs/operations.md, "Tracing").
  logger.info('Task created', { taskId: created.id, traceId: traceIdOf(currentTraceHeader()) });
  return { statusCode: 201, body: created };
});
