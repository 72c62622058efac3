/**
 * Identity for the local stack and the integration tests: cognito-local, in-process, with its
 * data under a state directory of our choosing, plus the platform's user pool and app client.
 *
 * cognito-local's own entry point (createDefaultServer) keeps its data in `./.cognito` relative to
 * the working directory and reads PORT at import time; the stack needs several instances with
 * their own folders and ports, so this module assembles the server from the library's services
 * with explicit configuration instead.
 */
import { createWriteStream } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import type { Server } from 'node:http';
import { join } from 'node:path';
import {
  CognitoIdentityProviderClient,
  CreateGroupCommand,
  CreateUserPoolClientCommand,
  type CreateUserPoolClientCommandInput,
  CreateUserPoolCommand,
  type CreateUserPoolCommandInput,
  ListGroupsCommand,
  ListUserPoolClientsCommand,
  ListUserPoolsCommand,
  UpdateUserPoolClientCommand,
  UpdateUserPoolCommand,
} from '@aws-sdk/client-cognito-identity-provider';
import type { CustomMessageTriggerEvent } from 'aws-lambda';
import { handler as customMessage } from '#functions/identity/custom-message';
import { ACCESS_TOKEN_VALIDITY_MINUTES, CODE_EMAIL, LEAGUE_ADMINS_GROUP } from '#core/auth-service';
import type { Mailbox } from './mailbox';
import pino from 'pino';
import type { Config } from 'cognito-local/lib/server/config.js';
import { LOOPBACK, assertPortFree, closeServer } from './preflight';
import { rulesRouter, rulesUserPoolServiceFactory } from './cognito-rules';

export interface CognitoOptions {
  port: number;
  /** Pools, users and the server log live in `<stateDir>/cognito`. */
  stateDir: string;
  region: string;
  /** The pool is found by name on restart, so its id (and the tokens' issuer) stays stable. */
  userPoolName: string;
  clientName: string;
  /** Where every message Cognito would send is kept instead (docs/local-stack.md, "The local mailbox"). */
  mailbox: Mailbox;
}

export interface CognitoService {
  endpoint: string;
  userPoolId: string;
  clientId: string;
  /** `http://localhost:<port>/<poolId>`: what cognito-local writes into the tokens' `iss`. */
  issuer: string;
  jwksUri: string;
  mailbox: Mailbox;
  stop(): Promise<void>;
}

/**
 * The pool settings of infra/constructs/identity.ts that cognito-local can hold (cognito-rules.ts
 * enforces them): admin-only sign-up, case-insensitive usernames, email as a sign-in alias, and the email
 * auto-verified (a verification message is sent when an update marks it unverified).
 */
export const POOL_RULES = {
  AdminCreateUserConfig: { AllowAdminCreateUserOnly: true },
  UsernameConfiguration: { CaseSensitive: false },
  AliasAttributes: ['email'],
  AutoVerifiedAttributes: ['email'],
} satisfies Partial<CreateUserPoolCommandInput>;

/** The name cognito-local is given for the pool's CustomMessage trigger (answered by the bridge below). */
const CUSTOM_MESSAGE_FUNCTION = 'custom-message';

/**
 * cognito-local's Lambda client (the v2 SDK's shape) for the one trigger it runs, the pool's CustomMessage: the
 * template's handler (functions/identity/custom-message.ts), called in-process. A bridge rather than a derived
 * function: cognito-local starts before the functions' hosts, and the handler is a pure function of its event
 * (docs/local-stack.md, "cognito-local and the pool's rules").
 */
const customMessageBridge = {
  invoke(request: { FunctionName: string; Payload: string }) {
    return {
      promise: async () => {
        if (request.FunctionName !== CUSTOM_MESSAGE_FUNCTION)
          throw new Error(`No local trigger ${request.FunctionName}`);
        const event = JSON.parse(request.Payload) as CustomMessageTriggerEvent;
        const answer = await customMessage(event);
        // cognito-local starts the response with empty strings and would send them; Cognito sends the pool's own
        // message for a field the trigger leaves unset, so unset fields are dropped.
        const response = Object.fromEntries(
          Object.entries(answer.response).filter(([, value]) => value !== ''),
        );
        return { StatusCode: 200, Payload: JSON.stringify({ ...answer, response }) };
      },
    };
  },
};

/**
 * The client's only writable attribute, the pool's required email, as in infra/constructs/identity.ts (Cognito refuses
 * a client that cannot write a required attribute); test/infra/identity.test.ts holds the two equal.
 */
export const CLIENT_WRITE_ATTRIBUTES = ['email'];

/** The app client's settings of infra/constructs/identity.ts that cognito-local holds (test/infra/identity.test.ts). */
export const CLIENT_SETTINGS = {
  ExplicitAuthFlows: ['ALLOW_USER_PASSWORD_AUTH', 'ALLOW_REFRESH_TOKEN_AUTH'],
  WriteAttributes: CLIENT_WRITE_ATTRIBUTES,
  EnableTokenRevocation: true,
  AccessTokenValidity: ACCESS_TOKEN_VALIDITY_MINUTES,
  IdTokenValidity: ACCESS_TOKEN_VALIDITY_MINUTES,
  // 30 days, in the unit the template writes it.
  RefreshTokenValidity: 30 * 24 * 60,
  TokenValidityUnits: { AccessToken: 'minutes', IdToken: 'minutes', RefreshToken: 'minutes' },
} satisfies Partial<CreateUserPoolClientCommandInput>;

/** docs/spec.md §2: at least 8 characters with an upper-case letter, a lower-case letter and a digit. */
const PASSWORD_POLICY = {
  MinimumLength: 8,
  RequireUppercase: true,
  RequireLowercase: true,
  RequireNumbers: true,
  RequireSymbols: false,
};

/**
 * Loaded on first use, after silencing the v2 SDK's end-of-support notice that cognito-local's
 * modules would otherwise print at every start.
 */
async function loadCognitoLocal() {
  process.env.AWS_SDK_JS_SUPPRESS_MAINTENANCE_MODE_MESSAGE ??= '1';
  const [
    server,
    router,
    services,
    cognitoService,
    crypto,
    stormDb,
    delivery,
    otp,
    tokens,
    userPools,
    errors,
  ] = await Promise.all([
    import('cognito-local'),
    import('cognito-local/lib/server/Router.js'),
    import('cognito-local/lib/services/index.js'),
    import('cognito-local/lib/services/cognitoService.js'),
    import('cognito-local/lib/services/crypto.js'),
    import('cognito-local/lib/services/dataStore/stormDb.js'),
    import('cognito-local/lib/services/messageDelivery/messageDelivery.js'),
    import('cognito-local/lib/services/otp.js'),
    import('cognito-local/lib/services/tokenGenerator.js'),
    import('cognito-local/lib/services/userPoolService.js'),
    import('cognito-local/lib/errors.js'),
  ]);
  return {
    ...server,
    ...router,
    ...services,
    ...cognitoService,
    ...crypto,
    ...stormDb,
    ...delivery,
    ...otp,
    ...tokens,
    ...userPools,
    CognitoError: errors.CognitoError,
  };
}

async function startServer(options: CognitoOptions, directory: string): Promise<Server> {
  await mkdir(directory, { recursive: true });
  const {
    createServer,
    Router,
    DateClock,
    LambdaService,
    MessagesService,
    TriggersService,
    CognitoServiceFactoryImpl,
    CryptoService,
    StormDBDataStoreFactory,
    MessageDeliveryService,
    otp,
    JwtTokenGenerator,
    ...parts
  } = await loadCognitoLocal();
  const logger = pino({ level: 'info' }, createWriteStream(join(directory, 'server.log'), { flags: 'a' }));
  const config: Config = {
    // Typed as the v2 SDK's options class; only cognito-local's own entry point makes a client from it, and
    // none is made here (below).
    // eslint-disable-next-line @typescript-eslint/no-unsafe-class-instance-assignment
    LambdaClient: {},
    TriggerFunctions: { CustomMessage: CUSTOM_MESSAGE_FUNCTION },
    // Plain usernames: the default makes the email the username.
    UserPoolDefaults: { UsernameAttributes: [] },
    TokenConfig: { IssuerDomain: `http://localhost:${options.port}` },
    ServerConfig: { port: options.port, hostname: LOOPBACK, development: false, https: false },
  };
  // The one configured trigger is answered by the bridge: cognito-local's v2 SDK Lambda client is never made.
  const triggerClient = customMessageBridge as unknown as ConstructorParameters<typeof LambdaService>[1];
  const ctx = { logger };
  const clock = new DateClock();
  const dataStores = new StormDBDataStoreFactory(join(directory, 'db'));
  const cognito = await new CognitoServiceFactoryImpl(
    join(directory, 'db'),
    dataStores,
    rulesUserPoolServiceFactory(parts, clock, dataStores),
  ).create(ctx, config.UserPoolDefaults);
  const triggers = new TriggersService(
    clock,
    cognito,
    new LambdaService(config.TriggerFunctions, triggerClient),
    new CryptoService(),
  );
  const services = {
    clock,
    cognito,
    config,
    messages: new MessagesService(triggers, new MessageDeliveryService(options.mailbox.sender(CODE_EMAIL))),
    otp,
    tokenGenerator: new JwtTokenGenerator(clock, triggers, config.TokenConfig),
    triggers,
  };
  return createServer(
    rulesRouter(parts, cognito, Router(services)),
    logger,
    config.ServerConfig,
    services,
  ).start();
}

/** The template's user-pool groups (infra/constructs/identity.ts): the league's admins. */
export const POOL_GROUPS = [LEAGUE_ADMINS_GROUP];

async function ensureGroups(client: CognitoIdentityProviderClient, userPoolId: string): Promise<void> {
  const existing = await client.send(new ListGroupsCommand({ UserPoolId: userPoolId, Limit: 60 }));
  const names = new Set(existing.Groups?.map((group) => group.GroupName));
  for (const groupName of POOL_GROUPS.filter((name) => !names.has(name)))
    await client.send(new CreateGroupCommand({ UserPoolId: userPoolId, GroupName: groupName }));
}

async function ensurePoolAndClient(
  client: CognitoIdentityProviderClient,
  options: CognitoOptions,
): Promise<{ userPoolId: string; clientId: string }> {
  const pools = await client.send(new ListUserPoolsCommand({ MaxResults: 60 }));
  let userPoolId = pools.UserPools?.find((pool) => pool.Name === options.userPoolName)?.Id;
  if (!userPoolId) {
    const created = await client.send(
      new CreateUserPoolCommand({
        PoolName: options.userPoolName,
        UsernameAttributes: [],
        ...POOL_RULES,
        Policies: { PasswordPolicy: PASSWORD_POLICY },
      }),
    );
    userPoolId = created.UserPool?.Id;
  }
  if (!userPoolId) throw new Error('cognito-local did not return a user pool id');
  // A state folder from an earlier version keeps its pool: brought to today's rules (the auto-verified email).
  else
    await client.send(
      new UpdateUserPoolCommand({
        UserPoolId: userPoolId,
        AutoVerifiedAttributes: POOL_RULES.AutoVerifiedAttributes,
        AdminCreateUserConfig: POOL_RULES.AdminCreateUserConfig,
        Policies: { PasswordPolicy: PASSWORD_POLICY },
      }),
    );
  const clients = await client.send(
    new ListUserPoolClientsCommand({ UserPoolId: userPoolId, MaxResults: 60 }),
  );
  let clientId = clients.UserPoolClients?.find(
    (appClient) => appClient.ClientName === options.clientName,
  )?.ClientId;
  if (!clientId) {
    const created = await client.send(
      new CreateUserPoolClientCommand({
        UserPoolId: userPoolId,
        ClientName: options.clientName,
        GenerateSecret: false,
        ...CLIENT_SETTINGS,
      }),
    );
    clientId = created.UserPoolClient?.ClientId;
  } else {
    // A state folder from an earlier version keeps its client: brought to today's settings (token lifetimes).
    await client.send(
      new UpdateUserPoolClientCommand({
        UserPoolId: userPoolId,
        ClientId: clientId,
        ClientName: options.clientName,
        ...CLIENT_SETTINGS,
      }),
    );
  }
  if (!clientId) throw new Error('cognito-local did not return an app client id');
  await ensureGroups(client, userPoolId);
  return { userPoolId, clientId };
}

export async function startCognito(options: CognitoOptions): Promise<CognitoService> {
  await assertPortFree(options.port, 'Cognito (cognito-local)', 'Set COGNITO_PORT to another port.');
  const server = await startServer(options, join(options.stateDir, 'cognito'));
  const endpoint = `http://localhost:${options.port}`;
  const client = new CognitoIdentityProviderClient({
    endpoint,
    region: options.region,
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  try {
    const { userPoolId, clientId } = await ensurePoolAndClient(client, options);
    const issuer = `${endpoint}/${userPoolId}`;
    return {
      endpoint,
      userPoolId,
      clientId,
      issuer,
      jwksUri: `${issuer}/.well-known/jwks.json`,
      mailbox: options.mailbox,
      stop: () => closeServer(server),
    };
  } finally {
    client.destroy();
  }
}
