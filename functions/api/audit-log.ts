import { adminApiHandler } from '#commons/http';
import { getModerationService } from '#commons/composition-root';
import { parseInput } from '#core/validation';
import { auditQuery } from '#core/schemas';

const moderation = getModerationService();

export const handler = adminApiHandler(async (event) => {
  const query = parseInput(auditQuery, event.queryStringParameters ?? {}, 'Invalid query parameters');
  return { statusCode: 200, body: await moderation.audit(query) };
});
