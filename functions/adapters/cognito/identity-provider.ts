import {
  AdminConfirmSignUpCommand,
  AdminDeleteUserCommand,
  CognitoIdentityProviderServiceException,
  InitiateAuthCommand,
  ListUsersCommand,
  SignUpCommand,
  type AuthenticationResultType,
  type CognitoIdentityProviderClient,
} from '@aws-sdk/client-cognito-identity-provider';
import { ConflictError, UnauthorizedError, ValidationError } from '#core/errors';
import type { IdentityProvider, IdentityTokens } from '#core/ports';

/**
 * Cognito (and cognito-local) reject credentials with different exception names: Cognito says
 * NotAuthorizedException for a wrong password, cognito-local InvalidPasswordException. All of them,
 * and an unknown user, are one 401 so the response never tells which part was wrong.
 */
const REJECTED_CREDENTIALS = new Set([
  'NotAuthorizedException',
  'InvalidPasswordException',
  'UserNotFoundException',
  'UserNotConfirmedException',
  'PasswordResetRequiredException',
]);

const INVALID_CREDENTIALS = 'Invalid username or password';
const INVALID_REFRESH_TOKEN = 'Invalid or expired refresh token';

function exceptionName(error: unknown): string | undefined {
  return error instanceof CognitoIdentityProviderServiceException ? error.name : undefined;
}

/** ListUsers filter values are double-quoted strings; escape so an address cannot widen the filter. */
function filterValue(value: string): string {
  return `"${value.replace(/["\\]/g, (c) => `\\${c}`)}"`;
}

export class CognitoIdentityProvider implements IdentityProvider {
  constructor(
    private readonly client: CognitoIdentityProviderClient,
    private readonly userPoolId: string,
    private readonly clientId: string,
  ) {}

  async signUp(input: { username: string; email: string; password: string }): Promise<{ sub: string }> {
    // Cognito does not enforce unique emails when email is a plain attribute, so we check first.
    // Two simultaneous signups with one email can both pass this check (documented in docs/api.md).
    if ((await this.usernameForEmail(input.email)) !== null) {
      throw new ConflictError('Email is already registered', [
        { field: 'email', message: 'Email is already registered' },
      ]);
    }
    let sub: string;
    try {
      const output = await this.client.send(
        new SignUpCommand({
          ClientId: this.clientId,
          Username: input.username,
          Password: input.password,
          UserAttributes: [{ Name: 'email', Value: input.email }],
        }),
      );
      if (output.UserSub === undefined) throw new Error('SignUp returned no UserSub');
      sub = output.UserSub;
    } catch (error) {
      switch (exceptionName(error)) {
        case 'UsernameExistsException':
          throw new ConflictError(
            'Username is already taken',
            [{ field: 'username', message: 'Username is already taken' }],
            { cause: error },
          );
        case 'InvalidPasswordException':
          throw new ValidationError(
            'Password does not meet the policy',
            [{ field: 'password1', message: 'Password does not meet the policy' }],
            { cause: error },
          );
        default:
          throw error;
      }
    }
    // The platform has no email verification step: accounts are usable at once.
    try {
      await this.client.send(
        new AdminConfirmSignUpCommand({ UserPoolId: this.userPoolId, Username: input.username }),
      );
    } catch (error) {
      // An unconfirmed user could never log in, yet would hold the username: undo the sign-up so a retry works.
      await this.client
        .send(new AdminDeleteUserCommand({ UserPoolId: this.userPoolId, Username: input.username }))
        .catch((undoError: unknown) => {
          // Both reach the 500 log: the username stays held until someone deletes that user.
          throw new AggregateError(
            [error, undoError],
            `Sign-up of ${input.username} could not be confirmed nor undone`,
          );
        });
      throw error;
    }
    return { sub };
  }

  async usernameForEmail(email: string): Promise<string | null> {
    const output = await this.client.send(
      new ListUsersCommand({
        UserPoolId: this.userPoolId,
        Filter: `email = ${filterValue(email)}`,
        Limit: 1,
      }),
    );
    return output.Users?.[0]?.Username ?? null;
  }

  async login(input: { username: string; password: string }): Promise<IdentityTokens> {
    const result = await this.initiateAuth(
      {
        AuthFlow: 'USER_PASSWORD_AUTH',
        AuthParameters: { USERNAME: input.username, PASSWORD: input.password },
      },
      INVALID_CREDENTIALS,
    );
    if (result.RefreshToken === undefined) throw new Error('USER_PASSWORD_AUTH returned no refresh token');
    return {
      accessToken: this.accessToken(result),
      refreshToken: result.RefreshToken,
      expiresIn: result.ExpiresIn ?? 3600,
    };
  }

  async refresh(refreshToken: string): Promise<IdentityTokens> {
    const result = await this.initiateAuth(
      { AuthFlow: 'REFRESH_TOKEN_AUTH', AuthParameters: { REFRESH_TOKEN: refreshToken } },
      INVALID_REFRESH_TOKEN,
    );
    return {
      accessToken: this.accessToken(result),
      refreshToken: result.RefreshToken,
      expiresIn: result.ExpiresIn ?? 3600,
    };
  }

  private async initiateAuth(
    input: { AuthFlow: 'USER_PASSWORD_AUTH' | 'REFRESH_TOKEN_AUTH'; AuthParameters: Record<string, string> },
    rejection: string,
  ): Promise<AuthenticationResultType> {
    try {
      const output = await this.client.send(new InitiateAuthCommand({ ClientId: this.clientId, ...input }));
      // A challenge (MFA, new password) is not part of this API's flows: the pool is configured without them.
      if (output.AuthenticationResult === undefined)
        throw new Error(`Unexpected Cognito challenge ${output.ChallengeName ?? '(none)'}`);
      return output.AuthenticationResult;
    } catch (error) {
      const name = exceptionName(error);
      if (name !== undefined && REJECTED_CREDENTIALS.has(name))
        throw new UnauthorizedError(rejection, { cause: error });
      throw error;
    }
  }

  private accessToken(result: AuthenticationResultType): string {
    if (result.AccessToken === undefined) throw new Error('Cognito returned no access token');
    return result.AccessToken;
  }
}
