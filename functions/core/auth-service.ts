import { UnauthorizedError } from './errors';
import type { IdentityProvider, IdentityTokens } from './ports';
import type {
  ForgotPasswordRequest,
  LoginRequest,
  MeResponse,
  ResetPasswordRequest,
  SignupRequest,
  SignupResponse,
  TokenResponse,
} from './schemas';
import type { Caller } from './task';

/**
 * The user-pool group whose members are the league's admins (docs/spec.md §10). The identity construct creates it
 * and the local Cognito creates it with the same name.
 */
export const LEAGUE_ADMINS_GROUP = 'league-admins';

/**
 * The user pool's message for a code, its VerificationMessageTemplate (CDK's default: Cognito's default sender takes no
 * custom wording); `{####}` is where Cognito puts the code. The local mailbox words its messages the same.
 */
export const CODE_EMAIL = {
  subject: 'Verify your new account',
  body: 'The verification code to your new account is {####}',
} as const;

/**
 * The app client's access-token lifetime (the identity construct's default, and the local app client's). Also the
 * longest an access token of a logged-out session still acts: the authorizer verifies tokens offline (docs/api.md,
 * "Logout: how long a session outlives it").
 */
export const ACCESS_TOKEN_VALIDITY_MINUTES = 15;

/** How sign-up has the first verification code sent (functions/core/email-verification.ts). */
export interface SignupCodes {
  send(caller: Caller, email: string): Promise<void>;
  /** A code that could not be sent: logged; the account exists and the pilot asks for a new one. */
  onFailure(error: unknown): void;
}

/** Sign-up, login and refresh over the identity provider port. */
export class AuthService {
  constructor(
    private readonly identity: IdentityProvider,
    private readonly signupCodes?: SignupCodes,
  ) {}

  /**
   * The answer is the same whether or not the email belongs to another account (only a taken username is a 409:
   * usernames are public). The account exists, and logs in, even when its first code could not be sent: failing
   * the sign-up then would have the pilot retry into "username taken".
   */
  async signUp(request: SignupRequest): Promise<SignupResponse> {
    const { sub } = await this.identity.signUp({
      username: request.username,
      email: request.email,
      password: request.password1,
    });
    if (this.signupCodes !== undefined) {
      const codes = this.signupCodes;
      await codes.send({ sub, username: request.username }, request.email).catch((error: unknown) => {
        codes.onFailure(error);
      });
    }
    return { username: request.username, email: request.email };
  }

  /** The identity provider resolves an email (usernames cannot contain '@') to its account. */
  async login(request: LoginRequest): Promise<TokenResponse> {
    const tokens = await this.identity.login({ username: request.username, password: request.password });
    return toTokenResponse(tokens, tokens.refreshToken);
  }

  /** Cognito does not rotate refresh tokens by default: the one presented stays valid and is returned. */
  async refresh(refreshToken: string): Promise<TokenResponse> {
    const tokens = await this.identity.refresh(refreshToken);
    return toTokenResponse(tokens, tokens.refreshToken ?? refreshToken);
  }

  /** Idempotent, like RFC 7009's revocation: a token that is unknown or already revoked ends nothing and is no error. */
  logout(refreshToken: string): Promise<void> {
    return this.identity.revoke(refreshToken);
  }

  /** The answer never says whether the account exists: the caller is told the same for both. */
  forgotPassword(request: ForgotPasswordRequest): Promise<void> {
    return this.identity.forgotPassword(request.username);
  }

  resetPassword(request: ResetPasswordRequest): Promise<void> {
    return this.identity.resetPassword({
      username: request.username,
      code: request.code,
      password: request.password1,
    });
  }

  /**
   * Read from the identity provider at each call rather than from the token's claims: an email verified or an admin
   * membership granted (or revoked) a minute ago shows at once, not after the access token's hour.
   */
  async me(caller: Caller): Promise<MeResponse> {
    const account = await this.identity.getAccount(caller.username);
    // A token that outlived its account (deleted since): the caller is nobody any more.
    if (account === null) throw new UnauthorizedError('Unauthorized');
    return {
      username: account.username,
      email: account.email,
      emailVerified: account.emailVerified,
      createdAt: account.createdAt.toISOString(),
      admin: account.groups.includes(LEAGUE_ADMINS_GROUP),
    };
  }
}

function toTokenResponse(tokens: IdentityTokens, refreshToken: string | undefined): TokenResponse {
  if (refreshToken === undefined) throw new Error('The identity provider issued no refresh token');
  return {
    access_token: tokens.accessToken,
    refresh_token: refreshToken,
    token_type: 'Bearer',
    expires_in: tokens.expiresIn,
  };
}
