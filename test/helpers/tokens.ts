/**
 * Real signed tokens for authorizer tests: cognito-local's own signing key (shipped in the npm
 * package) forges tokens it could have issued, with claims a test chooses (expired, wrong issuer,
 * id token...); a freshly generated key forges tokens nobody trusted issued.
 */
import { createPrivateKey, createSign, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

const cognitoLocalJwk = (
  JSON.parse(
    readFileSync(
      createRequire(import.meta.url).resolve('cognito-local/lib/keys/cognitoLocal.private.json'),
      'utf8',
    ),
  ) as { jwk: Record<string, string> }
).jwk;

export const cognitoLocalKey: KeyObject = createPrivateKey({ key: cognitoLocalJwk, format: 'jwk' });
export const COGNITO_LOCAL_KID = 'CognitoLocal';

export function foreignKey(): KeyObject {
  return generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
}

function base64url(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

export function signJwt(
  payload: Record<string, unknown>,
  key: KeyObject,
  header: Record<string, unknown> = {},
): string {
  const unsigned = `${base64url({ alg: 'RS256', typ: 'JWT', kid: COGNITO_LOCAL_KID, ...header })}.${base64url(payload)}`;
  const signature = createSign('RSA-SHA256').update(unsigned).sign(key).toString('base64url');
  return `${unsigned}.${signature}`;
}

export function unsignedJwt(payload: Record<string, unknown>): string {
  return `${base64url({ alg: 'none', typ: 'JWT' })}.${base64url(payload)}.`;
}

export function decodeJwtPayload(token: string): Record<string, unknown> {
  const [, payload = ''] = token.split('.');
  return JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as Record<string, unknown>;
}
