import { authenticatedApiHandler } from '#commons/http';
import { getTaskService } from '#commons/composition-root';
import { parseInput } from '#core/validation';
import { signPartsRequest, uploadParameters } from '#core/schemas';

const tasks = getTaskService();

export const handler = authenticatedApiHandler(async (event, caller) => {
  const { id, uploadId } = parseInput(uploadParameters, event.pathParameters ?? {}, 'Invalid upload');
  const { partNumbers } = parseInput(signPartsRequest, event.body);
  return { statusCode: 200, body: await tasks.signUploadParts(caller, id, uploadId, partNumbers) };
});
