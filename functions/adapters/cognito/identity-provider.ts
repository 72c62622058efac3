import {
  AdminCreateUserCommand,
  AdminDeleteUserCommand,
  AdminDisableUserCommand,
  AdminEnableUserCommand,
  AdminGetUserCommand,
  AdminListGroupsForUserCommand,
  AdminUpdateUserAttributesCommand,
  AdminUserGlobalSignOutCommand,
  ConfirmForgotPasswordCommand,
  ForgotPasswordCommand,
  AdminSetUserPasswordCommand,
  CognitoIdentityProviderServiceException,
  InitiateAuthCommand,
  RevokeTokenCommand,
  type AuthenticationResultType,
  type CognitoIdentityProviderClient,
} from '@aws-sdk/client-cognito-identity-provider';
import {
  ConflictError,
  ForbiddenError,
  ServiceUnavailableError,
  UnauthorizedError,
  ValidationError,
} from '#core/errors';
import { SUSPENDED_MESSAGE } from '#core/moderation';
import type { IdentityAccount, IdentityProvider, IdentityTokens } from '#core/ports';
import { VERIFICATION_CODE_METADATA } from '#core/verification-email';

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

/**
 * Cognito's own rate limits (per pool and API category): our capacity problem, not the caller's
 * fault, so 503 with a Retry-After rather than a 500 or a 429 that blames the pilot.
 */
const THROTTLED = new Set(['TooManyRequestsException', 'LimitExceededException']);
const THROTTLED_RETRY_AFTER_SECONDS = 5;

/** What RevokeToken answers for a token that names no live session (see revoke). */
const NOTHING_TO_REVOKE = new Set([
  'NotAuthorizedException',
  'InvalidParameterException',
  'UnsupportedTokenTypeException',
]);

const INVALID_CODE = 'Invalid or expired code';
const INVALID_CREDENTIALS = 'Invalid username or password';
const INVALID_REFRESH_TOKEN = 'Invalid or expired refresh token';
/** Cognito's message (NotAuthorizedException) for a disabled user's sign-in and refresh: a suspension here. */
const USER_DISABLED = /^User is disabled\.?$/;

function exceptionName(error: unknown): string | undefined {
  return error instanceof CognitoIdentityProviderServiceException ? error.name : undefined;
}

/** Cognito's throttling as ServiceUnavailableError; anything else unchanged. */
function unlessThrottled(error: unknown): unknown {
  const name = exceptionName(error);
  return name !== undefined && THROTTLED.has(name)
    ? new ServiceUnavailableError(`Cognito is throttling requests (${name})`, {
        cause: error,
        retryAfterSeconds: THROTTLED_RETRY_AFTER_SECONDS,
      })
    : error;
}

function usernameTaken(error: unknown): ConflictError {
  return new ConflictError(
    'Username is already taken',
    [{ field: 'username', message: 'Username is already taken' }],
    { cause: error },
  );
}

/** Cognito's own check of the password policy (the API's schema checks it first). */
function weakPassword(error: unknown): ValidationError {
  return new ValidationError(
    'Password does not meet the policy',
    [{ field: 'password1', message: 'Password does not meet the policy' }],
    { cause: error },
  );
}

/** Only verifying can meet another account's email: an unverified address is nobody's alias (docs/api.md). */
function emailVerifiedElsewhere(error: unknown): ConflictError {
  const message = 'This email address is already verified by another account';
  return new ConflictError(message, [{ field: 'email', message }], { cause: error });
}

/**
 * The access token's lifetime in seconds: Cognito's ExpiresIn, or (cognito-local leaves it out) the token's own
 * `exp - iat`, so clients are told the client's configured lifetime in both worlds.
 */
function expiresIn(result: AuthenticationResultType): number {
  if (result.ExpiresIn !== undefined) return result.ExpiresIn;
  const payload = result.AccessToken?.split('.')[1];
  const claims: unknown =
    payload === undefined ? null : JSON.parse(Buffer.from(payload, 'base64url').toString());
  if (
    typeof claims !== 'object' ||
    claims === null ||
    !('exp' in claims) ||
    !('iat' in claims) ||
    typeof claims.exp !== 'number' ||
    typeof claims.iat !== 'number'
  )
    throw new Error('Cognito returned neither ExpiresIn nor an access token with exp and iat');
  return claims.exp - claims.iat;
}

export class CognitoIdentityProvider implements IdentityProvider {
  constructor(
    private readonly client: CognitoIdentityProviderClient,
    private readonly userPoolId: string,
    private readonly clientId: string,
  ) {}

  /**
   * Uniqueness is Cognito's, in one call: usernames are unique regardless of case (UsernameConfiguration), so
   * AdminCreateUser fails with UsernameExistsException instead of creating a second account. The email is created
   * unverified: it is no sign-in alias and blocks nobody until verified (Cognito enforces alias uniqueness among
   * verified emails only), so sign-up never meets, and never tells, whether another account has the address. The
   * password is the temporary one, so the policy is checked before any user exists; making it permanent confirms
   * the account: login works at once (docs/spec.md §7).
   */
  async signUp(input: { username: string; email: string; password: string }): Promise<{ sub: string }> {
    let sub: string | undefined;
    try {
      const output = await this.client.send(
        new AdminCreateUserCommand({
          UserPoolId: this.userPoolId,
          Username: input.username,
          TemporaryPassword: input.password,
          MessageAction: 'SUPPRESS',
          UserAttributes: [
            { Name: 'email', Value: input.email },
            { Name: 'email_verified', Value: 'false' },
          ],
        }),
      );
      sub = output.User?.Attributes?.find((attribute) => attribute.Name === 'sub')?.Value;
    } catch (error) {
      switch (exceptionName(error)) {
        case 'UsernameExistsException':
          throw usernameTaken(error);
        case 'InvalidPasswordException':
          throw weakPassword(error);
        default:
          throw unlessThrottled(error);
      }
    }
    try {
      if (sub === undefined) throw new Error('AdminCreateUser returned no sub');
      await this.client.send(
        new AdminSetUserPasswordCommand({
          UserPoolId: this.userPoolId,
          Username: input.username,
          Password: input.password,
          Permanent: true,
        }),
      );
    } catch (error) {
      // A user left with a temporary password could never log in, yet would hold the username and the
      // email: undo the creation so a retry works.
      await this.deleteUser(input.username).catch((undoError: unknown) => {
        // Both reach the 500 log: the username stays held until someone deletes that user.
        throw new AggregateError(
          [error, undoError],
          `Sign-up of ${input.username} could not be completed nor undone`,
        );
      });
      throw unlessThrottled(error);
    }
    return { sub };
  }

  /** Idempotent: a user that is already gone is not an error. */
  async deleteUser(username: string): Promise<void> {
    try {
      await this.client.send(new AdminDeleteUserCommand({ UserPoolId: this.userPoolId, Username: username }));
    } catch (error) {
      if (exceptionName(error) !== 'UserNotFoundException') throw unlessThrottled(error);
    }
  }

  async findUser(username: string): Promise<{ sub: string; username: string } | null> {
    try {
      const output = await this.client.send(
        new AdminGetUserCommand({ UserPoolId: this.userPoolId, Username: username }),
      );
      const sub = output.UserAttributes?.find((attribute) => attribute.Name === 'sub')?.Value;
      if (sub === undefined || output.Username === undefined)
        throw new Error('AdminGetUser returned no sub or username');
      return { sub, username: output.Username };
    } catch (error) {
      if (exceptionName(error) === 'UserNotFoundException') return null;
      throw unlessThrottled(error);
    }
  }

  async getEmail(username: string): Promise<{ email: string; verified: boolean } | null> {
    try {
      const user = await this.client.send(
        new AdminGetUserCommand({ UserPoolId: this.userPoolId, Username: username }),
      );
      const attribute = (name: string) => user.UserAttributes?.find((entry) => entry.Name === name)?.Value;
      const email = attribute('email');
      if (email === undefined) throw new Error('AdminGetUser returned no email');
      return { email, verified: attribute('email_verified') === 'true' };
    } catch (error) {
      if (exceptionName(error) === 'UserNotFoundException') return null;
      throw unlessThrottled(error);
    }
  }

  /** Disables the user (no sign-in, no refresh), then ends every session they have. */
  async suspendUser(username: string): Promise<void> {
    try {
      await this.client.send(
        new AdminDisableUserCommand({ UserPoolId: this.userPoolId, Username: username }),
      );
      await this.client.send(
        new AdminUserGlobalSignOutCommand({ UserPoolId: this.userPoolId, Username: username }),
      );
    } catch (error) {
      throw unlessThrottled(error);
    }
  }

  async reinstateUser(username: string): Promise<void> {
    try {
      await this.client.send(new AdminEnableUserCommand({ UserPoolId: this.userPoolId, Username: username }));
    } catch (error) {
      throw unlessThrottled(error);
    }
  }

  async groupsOf(username: string): Promise<string[]> {
    try {
      // The league has one group; a page of 60 (Cognito's maximum) holds every membership there is.
      const output = await this.client.send(
        new AdminListGroupsForUserCommand({ UserPoolId: this.userPoolId, Username: username, Limit: 60 }),
      );
      return (output.Groups ?? []).flatMap((group) =>
        group.GroupName === undefined ? [] : [group.GroupName],
      );
    } catch (error) {
      if (exceptionName(error) === 'UserNotFoundException') return [];
      throw unlessThrottled(error);
    }
  }

  async getAccount(username: string): Promise<IdentityAccount | null> {
    try {
      const [user, groups] = await Promise.all([
        this.client.send(new AdminGetUserCommand({ UserPoolId: this.userPoolId, Username: username })),
        // The league has one group; a page of 60 (Cognito's maximum) holds every membership there is.
        this.client.send(
          new AdminListGroupsForUserCommand({ UserPoolId: this.userPoolId, Username: username, Limit: 60 }),
        ),
      ]);
      const attribute = (name: string) => user.UserAttributes?.find((entry) => entry.Name === name)?.Value;
      const email = attribute('email');
      if (user.Username === undefined || email === undefined || user.UserCreateDate === undefined)
        throw new Error('AdminGetUser returned no username, email or creation date');
      return {
        username: user.Username,
        email,
        emailVerified: attribute('email_verified') === 'true',
        createdAt: user.UserCreateDate,
        groups: (groups.Groups ?? []).flatMap((group) =>
          group.GroupName === undefined ? [] : [group.GroupName],
        ),
      };
    } catch (error) {
      if (exceptionName(error) === 'UserNotFoundException') return null;
      throw unlessThrottled(error);
    }
  }

  /**
   * Marks the email unverified again (it is, until the code comes back), which makes Cognito send its verification
   * message; the pool's CustomMessage trigger writes `code` into it (functions/identity/custom-message.ts). The
   * email is written with its own value: Cognito (and cognito-local) send the message for an update that names the
   * email with email_verified false.
   */
  async sendVerificationCode(username: string, email: string, code: string): Promise<void> {
    try {
      await this.setEmailVerified(username, email, false, { [VERIFICATION_CODE_METADATA]: code });
    } catch (error) {
      throw unlessThrottled(error);
    }
  }

  /** The email becomes a verified sign-in alias; ConflictError when another account has verified it already. */
  async markEmailVerified(username: string, email: string): Promise<void> {
    try {
      await this.setEmailVerified(username, email, true);
    } catch (error) {
      if (exceptionName(error) === 'AliasExistsException') throw emailVerifiedElsewhere(error);
      throw unlessThrottled(error);
    }
  }

  /** The email is named too: an update of email_verified alone is refused by cognito-local. */
  private async setEmailVerified(
    username: string,
    email: string,
    verified: boolean,
    clientMetadata?: Record<string, string>,
  ): Promise<void> {
    await this.client.send(
      new AdminUpdateUserAttributesCommand({
        UserPoolId: this.userPoolId,
        Username: username,
        UserAttributes: [
          { Name: 'email', Value: email },
          { Name: 'email_verified', Value: String(verified) },
        ],
        ClientMetadata: clientMetadata,
      }),
    );
  }

  /** A password login whose tokens are dropped: Cognito's own check, lockout after repeated failures included. */
  async checkPassword(input: { username: string; password: string }): Promise<boolean> {
    try {
      await this.login(input);
      return true;
    } catch (error) {
      if (error instanceof UnauthorizedError) return false;
      throw error;
    }
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
      expiresIn: expiresIn(result),
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
      expiresIn: expiresIn(result),
    };
  }

  /**
   * RevokeToken answers an unknown or already revoked token with 200 on Cognito (RFC 7009) and NotAuthorizedException
   * on cognito-local; a malformed one is InvalidParameterException, an access token UnsupportedTokenTypeException.
   * None of them leaves a session to end: all are success.
   */
  async revoke(refreshToken: string): Promise<void> {
    try {
      await this.client.send(new RevokeTokenCommand({ ClientId: this.clientId, Token: refreshToken }));
    } catch (error) {
      const name = exceptionName(error);
      if (name !== undefined && NOTHING_TO_REVOKE.has(name)) return;
      throw unlessThrottled(error);
    }
  }

  /**
   * With PreventUserExistenceErrors, Cognito answers an unknown user as if it had sent a code; cognito-local throws
   * UserNotFoundException. A user Cognito cannot mail (no verified email: InvalidParameterException) is left alone
   * just as silently: the API's answer is the same for every account and none (docs/api.md, "Password reset").
   */
  async forgotPassword(username: string): Promise<void> {
    try {
      await this.client.send(new ForgotPasswordCommand({ ClientId: this.clientId, Username: username }));
    } catch (error) {
      const name = exceptionName(error);
      if (name === 'UserNotFoundException' || name === 'InvalidParameterException') return;
      throw unlessThrottled(error);
    }
  }

  /**
   * ConfirmForgotPassword, then AdminUserGlobalSignOut: every refresh token of the user is revoked, so the sessions
   * of whoever knew the old password end. In this order, because ending the sessions on a wrong code would let anyone
   * log a pilot out by name.
   */
  async resetPassword(input: { username: string; code: string; password: string }): Promise<void> {
    try {
      await this.client.send(
        new ConfirmForgotPasswordCommand({
          ClientId: this.clientId,
          Username: input.username,
          ConfirmationCode: input.code,
          Password: input.password,
        }),
      );
    } catch (error) {
      // An unknown user reads as a wrong code: the answer never says whether an account exists.
      switch (exceptionName(error)) {
        case 'CodeMismatchException':
        case 'ExpiredCodeException':
        case 'UserNotFoundException':
        case 'NotAuthorizedException':
          throw new ValidationError(INVALID_CODE, [{ field: 'code', message: INVALID_CODE }], {
            cause: error,
          });
        case 'InvalidPasswordException':
          throw weakPassword(error);
        default:
          throw unlessThrottled(error);
      }
    }
    try {
      await this.client.send(
        new AdminUserGlobalSignOutCommand({ UserPoolId: this.userPoolId, Username: input.username }),
      );
    } catch (error) {
      // The password is changed but the old sessions live: a 500, logged, so the pilot is not told they ended.
      throw new Error(`The password of ${input.username} was reset but its sessions could not be ended`, {
        cause: error,
      });
    }
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
      if (name === 'NotAuthorizedException' && error instanceof Error && USER_DISABLED.test(error.message))
        throw new ForbiddenError(SUSPENDED_MESSAGE, { cause: error });
      if (name !== undefined && REJECTED_CREDENTIALS.has(name))
        throw new UnauthorizedError(rejection, { cause: error });
      throw unlessThrottled(error);
    }
  }

  private accessToken(result: AuthenticationResultType): string {
    if (result.AccessToken === undefined) throw new Error('Cognito returned no access token');
    return result.AccessToken;
  }
}
