import { authenticatedApiHandler } from '#commons/http';
import { getVotingService } from '#commons/composition-root';
import { parseInput } from '#core/validation';
import { myVotesQuery } from '#core/schemas';

const voting = getVotingService();

export const handler = authenticatedApiHandler(async (event, caller) => {
  const { ids } = parseInput(myVotesQuery, event.queryStringParameters ?? {}, 'Invalid query parameters');
  return { statusCode: 200, body: await voting.myVotes(caller, ids) };
});
