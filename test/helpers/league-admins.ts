/**
 * A league admin for the e2e tests: the pilot added to the pool's `league-admins` group in the stack's cognito-local,
 * as an operator would with `aws cognito-idp admin-add-user-to-group` (docs/operations.md). The stack's banner names
 * the Cognito endpoint and the pool. The pilot's next login carries the group in its token.
 */
import {
  AdminAddUserToGroupCommand,
  CognitoIdentityProviderClient,
} from '@aws-sdk/client-cognito-identity-provider';
import { LEAGUE_ADMINS_GROUP } from '#core/auth-service';

export async function grantLeagueAdmin(banner: string, username: string): Promise<void> {
  const named = /Cognito\s+(http\S+)\s+pool (\S+),/.exec(banner);
  if (named?.[1] === undefined || named[2] === undefined)
    throw new Error('The stack banner names no Cognito endpoint and pool');
  // cognito-local takes any credentials and region (the stack's own client uses these).
  const client = new CognitoIdentityProviderClient({
    endpoint: named[1],
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  try {
    await client.send(
      new AdminAddUserToGroupCommand({
        UserPoolId: named[2],
        Username: username,
        GroupName: LEAGUE_ADMINS_GROUP,
      }),
    );
  } finally {
    client.destroy();
  }
}
