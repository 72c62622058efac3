import { authenticatedApiHandler, clientAddressOf } from '#commons/http';
import { getVotingLimit, getVotingService } from '#commons/composition-root';
import { parseInput } from '#core/validation';
import { taskIdParameters } from '#core/schemas';

const voting = getVotingService();
const limit = getVotingLimit();

export const handler = authenticatedApiHandler(async (event, caller) => {
  // The voting rule counts every request of an authenticated caller, valid or not, as WAF counts them.
  await limit.take(clientAddressOf(event));
  const { id } = parseInput(taskIdParameters, event.pathParameters ?? {}, 'Invalid video id');
  return { statusCode: 201, body: await voting.vote(caller, id) };
});
