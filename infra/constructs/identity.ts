import { Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import * as cognito from 'aws-cdk-lib/aws-cognito';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { ACCESS_TOKEN_VALIDITY_MINUTES, LEAGUE_ADMINS_GROUP } from '#core/auth-service';
import { FunctionWithLogGroup, type ResourceUse } from './lambda-defaults';

/** Cognito actions that need IAM. InitiateAuth (password and refresh) is a public client API. */
export type IdentityAdminAction =
  | 'cognito-idp:AdminCreateUser'
  | 'cognito-idp:AdminSetUserPassword'
  | 'cognito-idp:AdminDeleteUser'
  | 'cognito-idp:AdminGetUser'
  | 'cognito-idp:AdminListGroupsForUser'
  | 'cognito-idp:AdminUserGlobalSignOut'
  | 'cognito-idp:AdminUpdateUserAttributes'
  | 'cognito-idp:AdminDisableUser'
  | 'cognito-idp:AdminEnableUser';

const ACCESS_TOKEN_VALIDITY = Duration.minutes(ACCESS_TOKEN_VALIDITY_MINUTES);

export interface IdentityProps {
  /**
   * What `cdk destroy` does to the user pool (and so to every account).
   * @default RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE
   */
  readonly removalPolicy?: RemovalPolicy;
  /** Also blocks the delete that rolls back a failed first deploy (docs/infra.md, "Removal policies"). @default false */
  readonly deletionProtection?: boolean;
  /**
   * Also the longest an access token of a logged-out session still acts (the authorizer verifies tokens offline;
   * docs/api.md, "Logout: how long a session outlives it"). @default Duration.minutes(15)
   */
  readonly accessTokenValidity?: Duration;
  /** @default Duration.days(30) */
  readonly refreshTokenValidity?: Duration;
  /** @default RetentionDays.ONE_MONTH */
  readonly logRetention?: logs.RetentionDays;
}

/**
 * The Cognito user pool and its public app client. The client id is in every token, so the pool
 * offers nothing through it but password login and refresh: accounts are created only by the
 * signup function's admin calls (AdminCreateUser, AdminSetUserPassword), the email is a verified
 * sign-in alias (unique in the pool) that users cannot change, access tokens cannot call the
 * self-service API (no DeleteUser behind the API's back), and OAuth is off (docs/api.md,
 * "Accounts: no side door, uniqueness by Cognito").
 */
export class Identity extends Construct {
  readonly userPool: cognito.UserPool;
  readonly userPoolClient: cognito.UserPoolClient;
  readonly preTokenGeneration: FunctionWithLogGroup;
  readonly customMessage: FunctionWithLogGroup;
  readonly adminsGroup: cognito.CfnUserPoolGroup;

  constructor(scope: Construct, id: string, props: IdentityProps = {}) {
    super(scope, id);
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE;

    this.userPool = new cognito.UserPool(this, 'UserPool', {
      // Cognito's public SignUp would skip the API's rules: only the signup function's admin calls create users.
      selfSignUpEnabled: false,
      // A verified email alias belongs to one user: AdminCreateUser fails with AliasExistsException otherwise.
      signInAliases: { username: true, email: true },
      // Usernames and aliases are unique and matched regardless of case (docs/spec.md §2).
      signInCaseSensitive: false,
      standardAttributes: { email: { required: true, mutable: true } },
      // docs/spec.md §2: at least 8 characters, an upper-case letter, a lower-case letter and a digit.
      passwordPolicy: {
        minLength: 8,
        requireUppercase: true,
        requireLowercase: true,
        requireDigits: true,
        requireSymbols: false,
        tempPasswordValidity: Duration.days(3),
      },
      // Password reset by a code mailed to the (verified) email: ForgotPassword, ConfirmForgotPassword.
      accountRecovery: cognito.AccountRecovery.EMAIL_ONLY,
      // Cognito sends a verification message when AdminUpdateUserAttributes marks the email unverified: the API's
      // own code goes out in it, written by the CustomMessage trigger below (docs/api.md, "Verifying the email").
      autoVerify: { email: true },
      // The code's message is CDK's default template (Cognito's default sender accepts no custom wording: that needs
      // SES, docs/infra.md "Email"); the local mailbox words its messages the same (CODE_EMAIL, held equal by
      // test/infra/identity.test.ts).
      mfa: cognito.Mfa.OFF,
      // Essentials, for access-token customization (the trigger below): billed per monthly active user, nothing at idle.
      featurePlan: cognito.FeaturePlan.ESSENTIALS,
      // The pilots' accounts: kept on a stack delete and a replacement; a console or API delete is what deletion
      // protection adds, once the stack exists.
      removalPolicy,
      deletionProtection: props.deletionProtection ?? false,
    });

    Validations.of(this.userPool).acknowledge(
      {
        id: 'AwsSolutions-COG1',
        reason:
          "The password policy is the product spec's (docs/spec.md §2: min 8, upper, lower, digit); requiring symbols would reject passwords the league's API accepts.",
      },
      {
        id: 'AwsSolutions-COG2',
        reason:
          'The product spec (docs/spec.md §2) defines username/password sign-in through the API only; MFA is not part of the product yet.',
      },
      {
        id: 'AwsSolutions-COG8',
        reason:
          "The Plus plan's threat protection is billed per monthly active user; Essentials covers the flows used here and the access-token customization that closes the self-service side door.",
      },
    );

    // Access tokens without the self-service scope: nobody deletes their Cognito user (or changes a password or an
    // attribute) behind the API's back (docs/api.md, "No self-service side door").
    this.preTokenGeneration = new FunctionWithLogGroup(this, 'PreTokenGeneration', {
      entry: 'functions/identity/pre-token-generation.ts',
      serviceName: 'idrl-identity',
      description: 'Suppresses the self-service scope in every access token of the user pool',
      // Cognito waits 5 s for a trigger.
      timeout: Duration.seconds(5),
      memorySize: 128,
      logRetention: props.logRetention,
    });
    this.userPool.addTrigger(
      cognito.UserPoolOperation.PRE_TOKEN_GENERATION_CONFIG,
      this.preTokenGeneration,
      cognito.LambdaVersion.V2_0,
    );

    // The verification email carries the API's code (ClientMetadata of AdminUpdateUserAttributes); Cognito's own
    // code cannot be checked with the pilots' tokens (the self-service scope is suppressed above).
    this.customMessage = new FunctionWithLogGroup(this, 'CustomMessage', {
      entry: 'functions/identity/custom-message.ts',
      serviceName: 'idrl-identity',
      description: "Writes the API's email-verification code into Cognito's verification message",
      timeout: Duration.seconds(5),
      memorySize: 128,
      logRetention: props.logRetention,
    });
    this.userPool.addTrigger(cognito.UserPoolOperation.CUSTOM_MESSAGE, this.customMessage);

    // The league's admins (docs/spec.md §10): membership is what GET /api/auth/me answers as `admin`. Members are
    // added with AdminAddUserToGroup by whoever administers the stack, never through the API.
    this.adminsGroup = new cognito.CfnUserPoolGroup(this, 'LeagueAdmins', {
      userPoolId: this.userPool.userPoolId,
      groupName: LEAGUE_ADMINS_GROUP,
      description: 'League admins: moderation of videos, pilots and votes',
    });

    this.userPoolClient = this.userPool.addClient('ApiClient', {
      // Refresh-token auth is always enabled by CDK alongside the flows named here.
      authFlows: { userPassword: true },
      generateSecret: false,
      // No hosted UI, no authorization-code or implicit grant, no callback URL: the API's login is the only way in.
      disableOAuth: true,
      // Cognito refuses a client that cannot write a required attribute ("Invalid write attributes specified while
      // creating a client"), and reads an empty list as "every standard attribute": so exactly the required email.
      // Users still cannot change it: the calls that write through this list without IAM are SignUp, refused on an
      // admin-only pool, and UpdateUserAttributes, which needs an access token with the self-service scope that the
      // pre-token-generation trigger above removes from every access token (docs/api.md, "No self-service side
      // door"). The signup function writes the email with AdminCreateUser, which IAM governs.
      writeAttributes: new cognito.ClientAttributes().withStandardAttributes({ email: true }),
      preventUserExistenceErrors: true,
      enableTokenRevocation: true,
      // Refresh-token rotation is not enabled: it refuses REFRESH_TOKEN_AUTH and needs GetTokensFromRefreshToken,
      // which cognito-local does not implement (docs/api.md, "Refresh tokens are not rotated").
      accessTokenValidity: props.accessTokenValidity ?? ACCESS_TOKEN_VALIDITY,
      idTokenValidity: props.accessTokenValidity ?? ACCESS_TOKEN_VALIDITY,
      refreshTokenValidity: props.refreshTokenValidity ?? Duration.days(30),
    });
  }

  /** The issuer of the pool's tokens: what the authorizer verifies against. */
  get issuer(): string {
    return `https://cognito-idp.${Stack.of(this).region}.amazonaws.com/${this.userPool.userPoolId}`;
  }

  /** USER_POOL_ID and USER_POOL_CLIENT_ID, plus exactly the admin actions given, on this pool only. */
  clientUse(actions: readonly IdentityAdminAction[] = []): ResourceUse {
    return {
      environment: {
        USER_POOL_ID: this.userPool.userPoolId,
        USER_POOL_CLIENT_ID: this.userPoolClient.userPoolClientId,
      },
      grant: (fn) => {
        if (actions.length > 0) {
          iam.Grant.addToPrincipal({
            grantee: fn,
            actions: [...actions],
            resourceArns: [this.userPool.userPoolArn],
          });
        }
      },
    };
  }

  /** What the authorizer needs to verify access tokens with aws-jwt-verify; the JWKS is public. */
  verifierUse(): ResourceUse {
    const clientUse = this.clientUse();
    return {
      environment: {
        ...clientUse.environment,
        JWT_ISSUER: this.issuer,
        JWKS_URI: `${this.issuer}/.well-known/jwks.json`,
      },
      grant: clientUse.grant,
    };
  }
}
