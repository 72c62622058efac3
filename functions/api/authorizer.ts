import type {
  APIGatewayRequestAuthorizerEventV2,
  APIGatewaySimpleAuthorizerWithContextResult,
} from 'aws-lambda';
import middy from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { AccessTokenVerifier } from '#adapters/cognito/token-verifier';
import { UnauthorizedError } from '#core/errors';
import { authorizerConfig } from '#commons/config';
import type { AuthorizerContext } from '#commons/http';
import { logger } from '#commons/logger';

// At module scope: the JWKS is fetched once per instance, not per request.
const verifier = new AccessTokenVerifier(authorizerConfig());

type AuthorizerResult = APIGatewaySimpleAuthorizerWithContextResult<
  AuthorizerContext | Record<string, never>
>;

/** No identity: the route's wrapper turns this into 401 (see the handler's comment). */
const UNAUTHENTICATED: AuthorizerResult = { isAuthorized: true, context: {} };

function bearerToken(event: APIGatewayRequestAuthorizerEventV2): string | null {
  // The route's identity source is $request.header.Authorization; HTTP APIs lower-case header names.
  const header = event.headers?.authorization;
  const match = header === undefined ? null : /^Bearer ([A-Za-z0-9_.=-]+)$/i.exec(header.trim());
  return match?.[1] ?? null;
}

/**
 * HTTP API Lambda authorizer with simple responses. It authenticates; the functions behind it decide.
 * An HTTP API answers a denied request with a bare 403 that cannot be customised, but the spec (docs/spec.md §2, and
 * every client that refreshes its token on 401) needs 401 with the API's JSON error body. So a
 * request whose token is missing or invalid is let through with an empty context, and the one
 * authenticated-route wrapper (authenticatedApiHandler) answers it 401 before any route logic runs.
 * Why a token failed goes to the log, never to the caller.
 */
export const handler = middy<APIGatewayRequestAuthorizerEventV2, AuthorizerResult>()
  .use(injectLambdaContext(logger))
  .handler(async (event) => {
    const token = bearerToken(event);
    if (token === null) return UNAUTHENTICATED;
    try {
      const caller = await verifier.verify(token);
      return { isAuthorized: true, context: { sub: caller.sub, username: caller.username } };
    } catch (error) {
      // The keys could not be fetched: failing the invocation makes API Gateway answer 500 and cache
      // nothing, where an empty context would be cached as a 401 for a valid token.
      if (!(error instanceof UnauthorizedError)) throw error;
      // aws-jwt-verify's error classes say what failed (JwtExpiredError, JwtInvalidIssuerError...).
      logger.info('Token rejected', {
        reason: error.cause instanceof Error ? error.cause.constructor.name : 'unknown',
      });
      return UNAUTHENTICATED;
    }
  });
