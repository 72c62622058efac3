import type { IdentityProvider, IdentityTokens } from './ports';
import type { LoginRequest, SignupRequest, SignupResponse, TokenResponse } from './schemas';

/** Sign-up, login and refresh over the identity provider port. */
export class AuthService {
  constructor(private readonly identity: IdentityProvider) {}

  async signUp(request: SignupRequest): Promise<SignupResponse> {
    await this.identity.signUp({
      username: request.username,
      email: request.email,
      password: request.password1,
    });
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
