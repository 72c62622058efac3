/**
 * RDS IAM database authentication: the password a function sends is the token `@aws-sdk/rds-signer` makes, a
 * SigV4-presigned `connect` request for `<host>:<port>` and the user (`<host>:<port>/?Action=connect&DBUser=…
 * &X-Amz-Signature=…`). RDS verifies it and authorizes rds-db:connect on
 * `arn:aws:rds-db:<region>:<account>:dbuser:<DbiResourceId>/<user>`; so does this, for a local database gate.
 */
import type { IamEnforcer, LocalPrincipal } from './enforcer';
import { rdsConnectCall } from './service-requests';
import { parseQuery, verifyRequest } from './sigv4';

export interface RdsDatabase {
  /** The host and port the functions are given (the token signs exactly these). */
  hostname: string;
  port: number;
  /** The instance's DbiResourceId (or the cluster's resource id) the policies name. */
  resourceId: string;
}

export type RdsTokenCheck = { ok: true; principal: LocalPrincipal } | { ok: false; reason: string };

/**
 * Verifies the token a client logs in with as `user` and authorizes rds-db:connect. On a refusal PostgreSQL
 * on RDS answers `PAM authentication failed for user "<user>"`; the reason here is for the log.
 */
export async function verifyRdsAuthToken(
  iam: IamEnforcer,
  token: string,
  user: string,
  database: RdsDatabase,
): Promise<RdsTokenCheck> {
  const host = `${database.hostname}:${database.port}`;
  const separator = token.indexOf('/?');
  if (separator === -1 || token.slice(0, separator) !== host)
    return { ok: false, reason: `the token is not for ${host}` };
  const query = parseQuery(token.slice(separator + 2));
  if (query.Action !== 'connect' || query.DBUser !== user)
    return { ok: false, reason: `the token is not a connect token for user ${user}` };
  const authentication = await verifyRequest(
    { method: 'GET', path: '/', query, headers: { host } },
    { service: 'rds-db', secretOf: iam.secretOf, now: iam.now },
  );
  if (!authentication.ok) {
    iam.logRefusal(
      `rds-db:connect as ${user} (key ${authentication.accessKeyId ?? 'none'})`,
      authentication.message,
    );
    return { ok: false, reason: authentication.message };
  }
  const principal = iam.principalOf(authentication.accessKeyId);
  if (principal === undefined) return { ok: false, reason: 'unknown access key' };
  // The database's own connection is TLS (the functions' pool requires it), as on RDS.
  const authorization = iam.authorize(principal, rdsConnectCall(database.resourceId, user, iam.location), {
    secure: true,
  });
  return authorization.allowed ? { ok: true, principal } : { ok: false, reason: authorization.message };
}
