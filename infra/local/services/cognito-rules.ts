/**
 * The user-pool rules the platform relies on that cognito-local does not implement, added to the
 * local server so the same adapter code meets the same answers as on AWS (docs/local-stack.md,
 * "cognito-local and the pool's rules"):
 * - `UsernameConfiguration.CaseSensitive: false`: usernames are matched and unique regardless of case;
 * - `AliasAttributes: ['email']`: a verified email signs in like the username and belongs to one user
 *   (a second one is `AliasExistsException`);
 * - both checked and the user written under one lock per pool, so simultaneous AdminCreateUser calls
 *   cannot both succeed (cognito-local's own check-then-write can interleave);
 * - `AdminCreateUserConfig.AllowAdminCreateUserOnly`: the public `SignUp` is refused;
 * - `ForgotPassword` for a user whose email is unverified: Cognito has nowhere it may send the code
 *   (InvalidParameterException, "no registered/verified email"); cognito-local would mail it;
 * - `AdminUserGlobalSignOut`, which cognito-local lacks: every refresh token of the user is revoked, as Cognito
 *   documents ("invalidates the identity, access, and refresh tokens that Amazon Cognito issued to a user"; the
 *   access tokens are verified offline by the authorizer and expire on their own, as on AWS);
 * - `Enabled: false` (AdminDisableUser, a suspension): cognito-local still signs such a user in and refreshes their
 *   tokens; Cognito refuses both with NotAuthorizedException "User is disabled.", as this does;
 * - the access tokens' missing `aws.cognito.signin.user.admin` scope (the pool's pre-token-generation
 *   trigger suppresses it): every call authorized by an access token alone (`DeleteUser`,
 *   `UpdateUserAttributes`...) is refused. cognito-local runs no V2 trigger, so the refusal is emulated.
 */
import type { Context } from 'cognito-local/lib/services/context.js';
import type { Route, Router } from 'cognito-local/lib/server/Router.js';
import type { CognitoService } from 'cognito-local/lib/services/cognitoService.js';
import type {
  User,
  UserPool,
  UserPoolService,
  UserPoolServiceFactory,
  UserPoolServiceImpl,
} from 'cognito-local/lib/services/userPoolService.js';
import type { DataStore } from 'cognito-local/lib/services/dataStore/dataStore.js';
import type { DataStoreFactory } from 'cognito-local/lib/services/dataStore/factory.js';
import type { Clock } from 'cognito-local/lib/services/clock.js';

/** What this module needs of cognito-local, loaded lazily by cognito.ts. */
export interface CognitoLocalParts {
  UserPoolServiceImpl: typeof UserPoolServiceImpl;
  CognitoError: new (code: string, message: string) => Error;
}

function attribute(user: User, name: string): string | undefined {
  return user.Attributes.find((entry) => entry.Name === name)?.Value;
}

function sub(user: User): string | undefined {
  return attribute(user, 'sub');
}

/** The email a user holds as an alias: only a verified one, as in Cognito. */
function emailAlias(options: UserPool, user: User): string | undefined {
  if (!options.AliasAttributes?.includes('email') || attribute(user, 'email_verified') !== 'true') return;
  return attribute(user, 'email')?.toLowerCase();
}

function caseInsensitive(options: UserPool): boolean {
  return options.UsernameConfiguration?.CaseSensitive === false;
}

/** A user pool service that applies the rules above; one instance per pool (cognito-local caches them). */
export function rulesUserPoolServiceFactory(
  parts: CognitoLocalParts,
  clock: Clock,
  dataStores: DataStoreFactory,
): UserPoolServiceFactory {
  const { CognitoError } = parts;

  class RulesUserPoolService extends parts.UserPoolServiceImpl {
    private writes: Promise<unknown> = Promise.resolve();

    override async getUserByUsername(ctx: Context, username: string): Promise<User | null> {
      const exact = await super.getUserByUsername(ctx, username);
      if (exact !== null) return exact;
      const wanted = username.toLowerCase();
      const users = await this.listUsers(ctx);
      return (
        users.find(
          (user) =>
            (caseInsensitive(this.options) && user.Username.toLowerCase() === wanted) ||
            emailAlias(this.options, user) === wanted,
        ) ?? null
      );
    }

    override saveUser(ctx: Context, user: User): Promise<void> {
      const write = this.writes.then(async () => {
        await this.assertUnique(ctx, user);
        await super.saveUser(ctx, user);
      });
      this.writes = write.catch(() => undefined);
      return write;
    }

    /**
     * Another user (another sub) may hold neither this username, in any case, nor this email alias. A scan of
     * every user, on every save (logins save too): cognito-local keeps a pool as one in-memory document keyed by
     * the exact username, with no index by attribute (its own lookups by sub or email, and ListUsers with a
     * filter, scan as well), and every save then serializes and writes that whole document, which costs several
     * times this scan (measured: 0.4 against 9.5 ms at 1 000 users, 15 against 93 ms at 10 000). An index of our
     * own would have to follow every write and delete cognito-local makes, for no gain a local stack can see.
     */
    private async assertUnique(ctx: Context, user: User): Promise<void> {
      const others = (await this.listUsers(ctx)).filter((other) => sub(other) !== sub(user));
      const name = caseInsensitive(this.options) ? user.Username.toLowerCase() : user.Username;
      if (
        others.some(
          (other) => (caseInsensitive(this.options) ? other.Username.toLowerCase() : other.Username) === name,
        )
      )
        throw new CognitoError('UsernameExistsException', 'User already exists');
      const alias = emailAlias(this.options, user);
      if (alias !== undefined && others.some((other) => emailAlias(this.options, other) === alias))
        throw new CognitoError('AliasExistsException', 'An account with the given email already exists.');
    }
  }

  return {
    async create(
      ctx: Context,
      clientsDataStore: DataStore,
      defaultOptions: UserPool,
    ): Promise<UserPoolService> {
      const dataStore = await dataStores.create(ctx, defaultOptions.Id, {
        Users: {},
        Options: defaultOptions,
      });
      const options = await dataStore.get<UserPool>(ctx, 'Options', defaultOptions);
      return new RulesUserPoolService(clientsDataStore, clock, dataStore, options);
    },
  };
}

/**
 * cognito-local's router held to the pool's settings: SignUp refused (admin-only sign-up), and every call
 * authorized by an access token alone (DeleteUser, UpdateUserAttributes, ChangePassword...) refused as
 * Cognito refuses it once the pre-token-generation trigger has suppressed the tokens'
 * aws.cognito.signin.user.admin scope (infra/constructs/identity.ts): the pool has no self-service side door.
 */
export function rulesRouter(parts: CognitoLocalParts, cognito: CognitoService, router: Router): Router {
  const { CognitoError } = parts;
  const notAuthorized = (message: string) => new CognitoError('NotAuthorizedException', message);
  return (target: string): Route => {
    const route = router(target);
    if (target === 'AdminUserGlobalSignOut') return adminUserGlobalSignOut(parts, cognito);
    if (target === 'ForgotPassword') {
      return async (ctx, req: { ClientId?: string; Username?: string }) => {
        const pool = await cognito.getUserPoolForClientId(ctx, req.ClientId ?? '');
        const user = await pool.getUserByUsername(ctx, req.Username ?? '');
        if (user !== null && attribute(user, 'email_verified') !== 'true')
          throw new CognitoError(
            'InvalidParameterException',
            'Cannot reset password for the user as there is no registered/verified email or phone_number',
          );
        return (await route(ctx, req)) as unknown;
      };
    }
    if (target === 'InitiateAuth') return refusingDisabledUsers(parts, cognito, route);
    if (target === 'SignUp') {
      return async (ctx, req: { ClientId?: string }) => {
        const pool = await cognito.getUserPoolForClientId(ctx, req.ClientId ?? '');
        if (pool.options.AdminCreateUserConfig?.AllowAdminCreateUserOnly === true)
          throw notAuthorized('SignUp is not permitted for this user pool');
        return (await route(ctx, req)) as unknown;
      };
    }
    return async (ctx, req: { AccessToken?: unknown }) => {
      if (req.AccessToken !== undefined) throw notAuthorized('Access Token does not have required scopes');
      return (await route(ctx, req)) as unknown;
    };
  };
}

interface InitiateAuthRequest {
  ClientId?: string;
  AuthFlow?: string;
  AuthParameters?: Record<string, string>;
}

/** InitiateAuth refused for a disabled user (see the module's comment), by username or refresh token alike. */
function refusingDisabledUsers(parts: CognitoLocalParts, cognito: CognitoService, route: Route): Route {
  return async (ctx, req: InitiateAuthRequest) => {
    const pool = await cognito.getUserPoolForClientId(ctx, req.ClientId ?? '');
    const username = req.AuthParameters?.USERNAME;
    const refreshToken = req.AuthParameters?.REFRESH_TOKEN;
    const user =
      req.AuthFlow === 'REFRESH_TOKEN_AUTH' && refreshToken !== undefined
        ? await pool.getUserByRefreshToken(ctx, refreshToken)
        : username === undefined
          ? null
          : await pool.getUserByUsername(ctx, username);
    if (user?.Enabled === false) throw new parts.CognitoError('NotAuthorizedException', 'User is disabled.');
    return (await route(ctx, req)) as unknown;
  };
}

/** AdminUserGlobalSignOut (see the module's comment): the user's refresh tokens are dropped, so none refreshes again. */
function adminUserGlobalSignOut(parts: CognitoLocalParts, cognito: CognitoService): Route {
  return async (ctx, req: { UserPoolId?: string; Username?: string }) => {
    const pool = await cognito.getUserPool(ctx, req.UserPoolId ?? '');
    const user = await pool.getUserByUsername(ctx, req.Username ?? '');
    if (user === null) throw new parts.CognitoError('UserNotFoundException', 'User does not exist.');
    await pool.saveUser(ctx, { ...user, RefreshTokens: [] });
    return {};
  };
}
