import { authenticatedApiHandler } from '#commons/http';
import { getVotingService } from '#commons/composition-root';
import { parseInput } from '#core/validation';
import { taskIdParameters } from '#core/schemas';

const voting = getVotingService();

export const handler = authenticatedApiHandler(async (event, caller) => {
  const { id } = parseInput(taskIdParameters, event.pathParameters ?? {}, 'Invalid video id');
  await voting.withdraw(caller, id);
  return { statusCode: 204 };
});
