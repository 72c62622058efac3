import { authenticatedApiHandler } from '#commons/http';
import { getTaskService } from '#commons/composition-root';
import { parseInput } from '#core/validation';
import { taskIdParameters } from '#core/schemas';

const tasks = getTaskService();

export const handler = authenticatedApiHandler(async (event, caller) => {
  const { id } = parseInput(taskIdParameters, event.pathParameters ?? {}, 'Invalid task id');
  return { statusCode: 201, body: await tasks.startMultipartUpload(caller, id) };
});
