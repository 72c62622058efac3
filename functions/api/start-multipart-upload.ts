import { authenticatedApiHandler } from '#commons/http';
import { getTaskService } from '#commons/composition-root';
import { logUploadStarted } from '#commons/tracing';
import { parseInput } from '#core/validation';
import { taskIdParameters } from '#core/schemas';

const tasks = getTaskService();

export const handler = authenticatedApiHandler(async (event, caller) => {
  const { id } = parseInput(taskIdParameters, event.pathParameters ?? {}, 'Invalid task id');
  const started = await tasks.startMultipartUpload(caller, id);
  logUploadStarted('Multipart upload started', id);
  return { statusCode: 201, body: started };
});
