import { authenticatedApiHandler } from '#commons/http';
import { getReportService } from '#commons/composition-root';
import { parseInput } from '#core/validation';
import { reportRequest, taskIdParameters } from '#core/schemas';

const reports = getReportService();

export const handler = authenticatedApiHandler(async (event, caller) => {
  const { id } = parseInput(taskIdParameters, event.pathParameters ?? {}, 'Invalid video id');
  return { statusCode: 201, body: await reports.report(caller, id, parseInput(reportRequest, event.body)) };
});
