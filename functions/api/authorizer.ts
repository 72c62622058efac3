import type {
  APIGatewayRequestAuthorizerEventV2,
  APIGatewaySimpleAuthorizerWithContextResult,
} from 'aws-lambda';
import middy from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { AccessTokenVerifier, type VerifiedCaller } from '#adapters/cognito/token-verifier';
import { LEAGUE_ADMINS_GROUP } from '#core/auth-service';
import { getAdminCheck } from '#commons/composition-root';
import { UnauthorizedError } from '#core/errors';
import { authorizerConfig } from '#commons/config';
import type { AuthorizerContext } from '#commons/http';
import { logger } from '#commons/logger';

// At module scope: the JWKS is fetched once per instance, not per request.
const verifier = new AccessTokenVerifier(authorizerConfig());
const groupsOf = getAdminCheck();

/**
 * Whether the caller is one of the league's admins (docs/api.md, "Who is an admin"). Only a token issued to a member
 * of the group is checked with Cognito, at this moment: every other token costs no Cognito call, and a revoked admin
 * loses the routes within the answer's cache time (AUTHORIZER_CACHE_TTL_SECONDS). A new admin's group shows in the
 * tokens of their next sign-in or refresh.
 */
async function isAdmin(caller: VerifiedCaller): Promise<boolean> {
  if (!caller.groups.includes(LEAGUE_ADMINS_GROUP)) return false;
  return (await groupsOf(caller.username)).includes(LEAGUE_ADMINS_GROUP);
}

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
      return {
        isAuthorized: true,
        context: { sub: caller.sub, username: caller.username, admin: await isAdmin(caller) },
      };
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
