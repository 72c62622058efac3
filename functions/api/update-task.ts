import { authenticatedApiHandler } from '#commons/http';
import { getTaskService } from '#commons/composition-root';
import { parseInput } from '#core/validation';
import { taskIdParameters, updateTaskRequest } from '#core/schemas';

const tasks = getTaskService();

export const handler = authenticatedApiHandler(async (event, caller) => {
  const { id } = parseInput(taskIdParameters, event.pathParameters ?? {}, 'Invalid task id');
  const { task, recut } = await tasks.update(caller, id, parseInput(updateTaskRequest, event.body));
  // 202: a new cut is edited asynchronously, as after an upload (docs/api.md, "Changing the cut").
  return { statusCode: recut ? 202 : 200, body: task };
});
