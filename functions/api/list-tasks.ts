import { authenticatedApiHandler } from '#commons/http';
import { getTaskService } from '#commons/composition-root';
import { parseInput } from '#core/validation';
import { listTasksQuery } from '#core/schemas';
import { DEFAULT_PAGE_SIZE } from '#core/task-service';

const tasks = getTaskService();

export const handler = authenticatedApiHandler(async (event, caller) => {
  const query = parseInput(listTasksQuery, event.queryStringParameters ?? {}, 'Invalid query parameters');
  const order = query.order === '1' ? 'desc' : 'asc';
  return {
    statusCode: 200,
    body: await tasks.list(caller, { max: query.max ?? DEFAULT_PAGE_SIZE, order, cursor: query.cursor }),
  };
});
