import { AccessTokenVerifier } from '#adapters/cognito/token-verifier';
import { apiHandler, clientAddressOf, type ParsedApiEvent } from '#commons/http';
import { authorizerConfig } from '#commons/config';
import { getViewReporter } from '#commons/composition-root';
import { logger } from '#commons/logger';
import { UnauthorizedError } from '#core/errors';
import { parseInput } from '#core/validation';
import { taskIdParameters } from '#core/schemas';
import type { Viewer } from '#core/views';

const reporter = getViewReporter();
// At module scope: the JWKS is fetched once per instance, and only when a caller presents a token.
const verifier = new AccessTokenVerifier(authorizerConfig());

/**
 * The viewer of a play: the caller's user id when the request carries a valid access token (the same viewer on every
 * device), otherwise the client's address (the viewer's, through the CDN: functions/core/client-address.ts) and user
 * agent. A bad token is not an error here: a play is anonymous.
 */
async function viewerOf(event: ParsedApiEvent): Promise<Viewer> {
  const token = /^Bearer ([A-Za-z0-9_.=-]+)$/i.exec(event.headers.authorization?.trim() ?? '')?.[1];
  if (token !== undefined) {
    try {
      return { sub: (await verifier.verify(token)).sub };
    } catch (error) {
      // Unavailable signing keys are our outage: still count the play, anonymously.
      if (!(error instanceof UnauthorizedError)) logger.warn('Token not verified', { error });
    }
  }
  return { address: clientAddressOf(event), userAgent: event.headers['user-agent'] ?? '' };
}

/**
 * POST /api/public/videos/{id}/views: one message, no database (docs/api.md, "Views"). Always 202 for a well-formed
 * id: whether the video exists or is published is the consumer's decision, so the answer reveals neither.
 */
export const handler = apiHandler(async (event) => {
  const { id } = parseInput(taskIdParameters, event.pathParameters ?? {}, 'Invalid video id');
  await reporter.report(id, await viewerOf(event));
  return { statusCode: 202 };
});
