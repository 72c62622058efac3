import { AdminUpdateUserAttributesCommand } from '@aws-sdk/client-cognito-identity-provider';
import { cognitoClient, databasePool } from '#commons/clients';
import type { Caller } from '#core/task';

/**
 * The pilot's email verified in the database's mirror (users.email_verified_at, migration 11), the row created if
 * need be: for tests about votes and the gallery, which an unverified pilot takes no part in. Verification itself
 * (Cognito, the codes) is test/integration/api-verify-email.test.ts's.
 */
export async function verifiedInDatabase(caller: Caller): Promise<void> {
  await databasePool().query(
    `INSERT INTO users (id, username, email_verified_at) VALUES ($1, $2, now())
     ON CONFLICT (id) DO UPDATE SET email_verified_at = coalesce(users.email_verified_at, now())`,
    [caller.sub, caller.username],
  );
}

/**
 * The account's email verified in Cognito, as POST /api/auth/verify-email leaves it (that route's own tests are
 * api-verify-email.test.ts's): only a verified email is a sign-in alias, and gets password-reset codes.
 */
export async function verifiedInCognito(username: string, email: string): Promise<void> {
  await cognitoClient().send(
    new AdminUpdateUserAttributesCommand({
      UserPoolId: process.env.USER_POOL_ID,
      Username: username,
      UserAttributes: [
        { Name: 'email', Value: email },
        { Name: 'email_verified', Value: 'true' },
      ],
    }),
  );
}
