import { apiHandler } from '#commons/http';
import { getVotingService } from '#commons/composition-root';
import { parseInput } from '#core/validation';
import { rankingsQuery } from '#core/schemas';
import { DEFAULT_RANKINGS_PAGE_SIZE } from '#core/gallery-service';

const voting = getVotingService();

export const handler = apiHandler(async (event) => {
  const query = parseInput(rankingsQuery, event.queryStringParameters ?? {}, 'Invalid query parameters');
  return {
    statusCode: 200,
    body: await voting.rankings({
      limit: query.limit ?? DEFAULT_RANKINGS_PAGE_SIZE,
      offset: query.offset ?? 0,
      period: query.period ?? 'all',
    }),
    cacheable: true,
  };
});
