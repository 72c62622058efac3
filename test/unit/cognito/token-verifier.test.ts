import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FetchError, JwtParseError } from 'aws-jwt-verify/error';
import { AccessTokenVerifier } from '#adapters/cognito/token-verifier';
import { ServiceUnavailableError, UnauthorizedError } from '#core/errors';
import { cognitoLocalKey, signJwt } from '#test/helpers/tokens';

const ISSUER = 'http://127.0.0.1/local_pool';
const now = (): number => Math.floor(Date.now() / 1000);
const claims = () => ({
  iss: ISSUER,
  sub: 's-1',
  username: 'ace',
  token_use: 'access',
  client_id: 'client-1',
  iat: now(),
  exp: now() + 600,
});

/** A JWKS endpoint that answers 503: the identity provider is down, the token itself is fine. */
let failingJwks: Server;
let failingJwksUri: string;

beforeAll(async () => {
  failingJwks = createServer((_request, response) => {
    response.writeHead(503).end();
  });
  await new Promise<void>((ready) => failingJwks.listen(0, '127.0.0.1', ready));
  failingJwksUri = `http://127.0.0.1:${(failingJwks.address() as AddressInfo).port}/jwks.json`;
});

afterAll(() => {
  failingJwks.close();
});

describe('AccessTokenVerifier', () => {
  it.each([
    ['answers an error status', () => failingJwksUri],
    ['cannot be reached', () => 'http://127.0.0.1:1/jwks.json'],
  ])(
    'reports the issuer keys as unavailable, not the token as invalid, when the JWKS endpoint %s',
    async (_case, jwksUri) => {
      // Prepare
      const verifier = new AccessTokenVerifier({ issuer: ISSUER, jwksUri: jwksUri(), clientId: 'client-1' });

      // Act
      const verifying = verifier.verify(signJwt(claims(), cognitoLocalKey));

      // Assess: the fetch failure stays the cause, for the log.
      const error: unknown = await verifying.catch((thrown: unknown) => thrown);
      expect(error).toBeInstanceOf(ServiceUnavailableError);
      expect(error).toMatchObject({
        message: 'The signing keys of the identity provider are unavailable',
        cause: expect.any(FetchError) as unknown,
      });
    },
  );

  it('rejects a malformed token as unauthorized without fetching any key', async () => {
    // Prepare
    const verifier = new AccessTokenVerifier({
      issuer: ISSUER,
      jwksUri: 'http://127.0.0.1:1/jwks.json',
      clientId: 'client-1',
    });

    // Act
    const verifying = verifier.verify('not-a-jwt');

    // Assess: the parse failure stays the cause, for the log only.
    const error: unknown = await verifying.catch((thrown: unknown) => thrown);
    expect(error).toBeInstanceOf(UnauthorizedError);
    expect(error).toMatchObject({ message: 'Unauthorized', cause: expect.any(JwtParseError) as unknown });
  });
});
