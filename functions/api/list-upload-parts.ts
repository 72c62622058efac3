import { authenticatedApiHandler } from '#commons/http';
import { getTaskService } from '#commons/composition-root';
import { parseInput } from '#core/validation';
import { uploadParameters } from '#core/schemas';

const tasks = getTaskService();

export const handler = authenticatedApiHandler(async (event, caller) => {
  const { id, uploadId } = parseInput(uploadParameters, event.pathParameters ?? {}, 'Invalid upload');
  return { statusCode: 200, body: await tasks.listUploadParts(caller, id, uploadId) };
});
