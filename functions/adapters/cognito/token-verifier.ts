import { JwtVerifier } from 'aws-jwt-verify';
import { validateCognitoJwtFields } from 'aws-jwt-verify/cognito-verifier';
import { FetchError, NonRetryableFetchError } from 'aws-jwt-verify/error';
import type { Fetcher } from 'aws-jwt-verify/https';
import { SimpleJwksCache } from 'aws-jwt-verify/jwk';
import { ServiceUnavailableError, UnauthorizedError } from '#core/errors';
import type { Caller } from '#core/task';

/**
 * aws-jwt-verify's default Node fetcher speaks https only, but cognito-local serves its JWKS over
 * http://localhost. This fetcher uses the runtime's fetch, which speaks both; the URI itself comes
 * from configuration, so on AWS it is Cognito's https endpoint.
 */
class JwksFetcher implements Fetcher {
  constructor(private readonly timeoutMs = 3_000) {}

  async fetch(uri: string): Promise<ArrayBuffer> {
    let response: Response;
    try {
      response = await fetch(uri, { signal: AbortSignal.timeout(this.timeoutMs) });
    } catch (error) {
      // Network failures and timeouts in aws-jwt-verify's own terms, so verify() can tell them from bad tokens.
      throw new FetchError(uri, error instanceof Error ? error.message : String(error));
    }
    if (!response.ok)
      throw new NonRetryableFetchError(uri, `Status code is ${response.status}, expected 200`);
    return response.arrayBuffer();
  }
}

/** The caller, and the user-pool groups the token says they belonged to when it was issued (`cognito:groups`). */
export interface VerifiedCaller extends Caller {
  groups: readonly string[];
}

export interface AccessTokenVerifierOptions {
  issuer: string;
  jwksUri: string;
  clientId: string;
  fetcher?: Fetcher;
}

/**
 * Verifies Cognito access tokens: RS256 signature against the issuer's JWKS (cached across
 * invocations), issuer, expiry, token_use = access and client_id. Works for Cognito and for
 * cognito-local alike because the issuer is configured, not derived from a pool id.
 */
export class AccessTokenVerifier {
  private readonly verifier;

  constructor(options: AccessTokenVerifierOptions) {
    this.verifier = JwtVerifier.create(
      {
        issuer: options.issuer,
        jwksUri: options.jwksUri,
        // Access tokens carry client_id instead of aud; the Cognito field check below covers it.
        audience: null,
        customJwtCheck: ({ payload }) => {
          validateCognitoJwtFields(payload, { tokenUse: 'access', clientId: options.clientId });
        },
      },
      { jwksCache: new SimpleJwksCache({ fetcher: options.fetcher ?? new JwksFetcher() }) },
    );
  }

  /**
   * Throws UnauthorizedError for any fault of the token, keeping the reason as `cause` for the log only,
   * and ServiceUnavailableError when the issuer's keys cannot be fetched: that is our outage, not the
   * caller's bad token, and must not be answered (and cached) as one.
   */
  async verify(token: string): Promise<VerifiedCaller> {
    try {
      const payload = await this.verifier.verify(token);
      const { sub, username } = payload;
      if (typeof sub !== 'string' || typeof username !== 'string')
        throw new Error('Token lacks sub or username');
      const groups = payload['cognito:groups'];
      return {
        sub,
        username,
        groups: Array.isArray(groups) ? groups.filter((group) => typeof group === 'string') : [],
      };
    } catch (error) {
      if (error instanceof FetchError)
        throw new ServiceUnavailableError('The signing keys of the identity provider are unavailable', {
          cause: error,
        });
      throw new UnauthorizedError('Unauthorized', { cause: error });
    }
  }
}
