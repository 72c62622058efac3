/**
 * `npm run admin` against a deployed stack, with the SDK clients answering from a script at the command level (the
 * project's pattern, test/unit/cognito/identity-provider.test.ts): the pool comes from the stack's outputs, every call
 * names it, and each failure the operator can meet is one clear message with a non-zero exit code.
 */
import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import {
  AdminAddUserToGroupCommand,
  AdminGetUserCommand,
  AdminRemoveUserFromGroupCommand,
  CognitoIdentityProviderClient,
  ListUsersInGroupCommand,
} from '@aws-sdk/client-cognito-identity-provider';
import { describe, expect, it } from 'vitest';
import { LEAGUE_ADMIN_OPERATOR_ACTIONS } from '#infra/local/principals';
import { jsonProtocolCall } from '#infra/local/iam/service-requests';
import { type AdminClients, runAdmin } from '#infra/bin/admin';
import { freePort } from '#infra/local/services/preflight';

const POOL_ID = 'eu-west-1_Abc123';

/** An SDK service error as the clients throw it: the exception's name and message. */
function awsError(name: string, message: string): Error {
  return Object.assign(new Error(message), { name });
}

interface Script {
  /** The stacks' outputs by stack name; a stack not listed does not exist. */
  stacks?: Record<string, Record<string, string>>;
  /** The pool's users (canonical names) and the group's members. */
  users?: string[];
  admins?: string[];
  /** Thrown by every Cognito call instead of answering. */
  cognitoFailure?: Error;
}

/** Clients whose `send` answers from the script and records every command, in order. */
function scripted(script: Script): { clients: AdminClients; sent: object[] } {
  const sent: object[] = [];
  const admins = new Set(script.admins ?? []);
  const users = script.users ?? [];
  const cloudFormation = new CloudFormationClient({ region: 'eu-west-1' });
  cloudFormation.send = (async (command: object) => {
    sent.push(command);
    await Promise.resolve();
    const name = (command as DescribeStacksCommand).input.StackName ?? '';
    const outputs = script.stacks?.[name];
    if (outputs === undefined) throw awsError('ValidationError', `Stack with id ${name} does not exist`);
    return {
      Stacks: [
        {
          StackName: name,
          Outputs: Object.entries(outputs).map(([OutputKey, OutputValue]) => ({ OutputKey, OutputValue })),
        },
      ],
    };
  }) as CloudFormationClient['send'];
  const cognito = new CognitoIdentityProviderClient({ region: 'eu-west-1' });
  cognito.send = (async (command: object) => {
    sent.push(command);
    await Promise.resolve();
    if (script.cognitoFailure) throw script.cognitoFailure;
    if (command instanceof AdminGetUserCommand) {
      const found = users.find((user) => user.toLowerCase() === command.input.Username?.toLowerCase());
      if (found === undefined) throw awsError('UserNotFoundException', 'User does not exist.');
      return { Username: found };
    }
    if (command instanceof ListUsersInGroupCommand)
      return { Users: [...admins].map((Username) => ({ Username, Enabled: true })) };
    if (command instanceof AdminAddUserToGroupCommand) admins.add(command.input.Username ?? '');
    if (command instanceof AdminRemoveUserFromGroupCommand) admins.delete(command.input.Username ?? '');
    return {};
  }) as CognitoIdentityProviderClient['send'];
  return { clients: { cognito, cloudFormation }, sent };
}

async function admin(args: string[], env: NodeJS.ProcessEnv, clients: AdminClients) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runAdmin(
    args,
    env,
    { out: (line) => out.push(line), err: (line) => err.push(line) },
    clients,
  );
  return { code, out, err };
}

const inputs = (sent: object[]) =>
  sent.map((command) => ({
    command: command.constructor.name,
    input: (command as { input: unknown }).input,
  }));

describe('npm run admin against a deployed stack', () => {
  it("reads the pool from the stack's outputs and grants in that pool, under the pool's spelling of the name", async () => {
    // Prepare
    const { clients, sent } = scripted({
      stacks: { League: { UserPoolId: POOL_ID, ApiUrl: 'https://x' } },
      users: ['Ace_1'],
    });

    // Act
    const result = await admin(['grant', 'ace_1'], { STACK_NAME: 'League' }, clients);

    // Assess
    expect(result).toEqual({
      code: 0,
      out: [
        'Ace_1 is now a league admin. It takes effect at their next sign-in or token refresh ' +
          "(the token's cognito:groups claim; the console refreshes within 15 minutes).",
      ],
      err: [],
    });
    const group = { UserPoolId: POOL_ID, GroupName: 'league-admins' };
    expect(inputs(sent)).toEqual([
      { command: 'DescribeStacksCommand', input: { StackName: 'League' } },
      { command: 'AdminGetUserCommand', input: { UserPoolId: POOL_ID, Username: 'ace_1' } },
      { command: 'ListUsersInGroupCommand', input: { ...group, Limit: 60, NextToken: undefined } },
      { command: 'AdminAddUserToGroupCommand', input: { ...group, Username: 'Ace_1' } },
    ]);
  });

  it('reads the stack IdrlVideoPlatform by default, and takes USER_POOL_ID without reading any stack', async () => {
    // Prepare
    const byDefault = scripted({
      stacks: { IdrlVideoPlatform: { UserPoolId: POOL_ID } },
      admins: ['zed', 'ace'],
    });
    const given = scripted({ admins: ['ace'] });

    // Act
    const listed = await admin(['list'], {}, byDefault.clients);
    const direct = await admin(['list'], { USER_POOL_ID: 'us-east-1_Given' }, given.clients);

    // Assess
    expect(listed).toEqual({ code: 0, out: ['ace', 'zed'], err: [] });
    expect(inputs(byDefault.sent)[0]).toEqual({
      command: 'DescribeStacksCommand',
      input: { StackName: 'IdrlVideoPlatform' },
    });
    expect(direct.out).toEqual(['ace']);
    expect(inputs(given.sent)).toEqual([
      {
        command: 'ListUsersInGroupCommand',
        input: { UserPoolId: 'us-east-1_Given', GroupName: 'league-admins', Limit: 60, NextToken: undefined },
      },
    ]);
  });

  it('sends only the Cognito actions the local operator is given (and docs/operations.md asks for)', async () => {
    // Prepare
    const { clients, sent } = scripted({ users: ['ace', 'bea'], admins: ['bea'] });
    const env = { USER_POOL_ID: POOL_ID };

    // Act: every command, so every call the CLI can make.
    await admin(['grant', 'ace'], env, clients);
    await admin(['revoke', 'bea'], env, clients);
    await admin(['list'], env, clients);

    // Assess
    const actions = new Set(
      sent.map((command) => {
        const operation = command.constructor.name.replace(/Command$/, '');
        const input = (command as { input: Record<string, unknown> }).input;
        const call = jsonProtocolCall(`AWSCognitoIdentityProviderService.${operation}`, input, {
          region: 'eu-west-1',
          accountId: '000000000000',
        });
        return call.requests.map((request) => request.action).join();
      }),
    );
    expect(actions).toEqual(new Set(LEAGUE_ADMIN_OPERATOR_ACTIONS));
  });

  it('says when a grant or a revoke changes nothing, and warns when the last admin goes', async () => {
    // Prepare
    const { clients, sent } = scripted({ users: ['ace', 'bea'], admins: ['ace'] });
    const env = { USER_POOL_ID: POOL_ID };

    // Act
    const again = await admin(['grant', 'ACE'], env, clients);
    const notAdmin = await admin(['revoke', 'bea'], env, clients);
    const last = await admin(['revoke', 'ace'], env, clients);
    const none = await admin(['list'], env, clients);

    // Assess
    expect(again).toEqual({ code: 0, out: ['ace is already a league admin; nothing changed.'], err: [] });
    expect(notAdmin).toEqual({ code: 0, out: ['bea is not a league admin; nothing changed.'], err: [] });
    expect(last).toEqual({
      code: 0,
      out: [
        "ace is no longer a league admin: the admin routes refuse them within 60 s (the authorizer's cache).",
      ],
      err: ['Warning: the league has no admin now. Name one with npm run admin -- grant <username>.'],
    });
    expect(none.out).toEqual(['No league admins yet: name one with npm run admin -- grant <username>']);
    expect(sent.filter((command) => command instanceof AdminAddUserToGroupCommand)).toEqual([]);
    expect(sent.filter((command) => command instanceof AdminRemoveUserFromGroupCommand)).toHaveLength(1);
  });

  it('marks a suspended admin in the list', async () => {
    // Prepare
    const { clients } = scripted({});
    clients.cognito.send = (() =>
      Promise.resolve({
        Users: [
          { Username: 'bea', Enabled: false },
          { Username: 'ace', Enabled: true },
        ],
      })) as CognitoIdentityProviderClient['send'];

    // Act
    const result = await admin(['list'], { USER_POOL_ID: POOL_ID }, clients);

    // Assess
    expect(result.out).toEqual(['ace', 'bea (suspended)']);
  });

  it.each([
    [[], 'usage: npm run admin -- grant <username> | revoke <username> | list'],
    [['grant'], 'Unknown command or arguments: grant\nusage: npm run admin -- grant'],
    [['grant', 'a', 'b'], 'Unknown command or arguments: grant a b\nusage:'],
    [['list', 'x'], 'Unknown command or arguments: list x\nusage:'],
    [['promote', 'ace'], 'Unknown command or arguments: promote ace\nusage:'],
    [['grant', 'a b'], '"a b" is not a username: Must be 3–32 characters of letters, digits, _ . -\nusage:'],
    [['revoke', ''], '"" is not a username: Must be 3–32 characters'],
  ])('refuses the arguments %j with the usage, exit code 2, calling nothing', async (args, message) => {
    // Prepare
    const { clients, sent } = scripted({});

    // Act
    const result = await admin(args, { USER_POOL_ID: POOL_ID }, clients);

    // Assess
    expect(result.code).toBe(2);
    expect(result.out).toEqual([]);
    expect(result.err).toEqual([expect.stringContaining(message)]);
    expect(sent).toEqual([]);
  });

  it('prints the usage for help, exit code 0', async () => {
    const { clients } = scripted({});
    const result = await admin(['--help'], {}, clients);
    expect(result.code).toBe(0);
    expect(result.out).toEqual([expect.stringMatching(/^usage: npm run admin -- grant <username>/)]);
  });

  it.each([
    [
      'an unknown pilot',
      { stacks: { IdrlVideoPlatform: { UserPoolId: POOL_ID } } },
      {},
      `No pilot named "ghost" in the user pool ${POOL_ID}.`,
    ],
    [
      'a stack that is not deployed',
      {},
      { STACK_NAME: 'Nope' },
      'No stack named Nope in eu-west-1: deploy it (npm run deploy), or set STACK_NAME and AWS_REGION to the stack',
    ],
    [
      "a stack without the pool's output",
      { stacks: { Other: { BucketName: 'b' } } },
      { STACK_NAME: 'Other' },
      "The stack Other has no UserPoolId output: is it this project's?",
    ],
    [
      'missing credentials',
      {
        cognitoFailure: awsError('CredentialsProviderError', 'Could not load credentials from any providers'),
      },
      { USER_POOL_ID: POOL_ID },
      "No AWS credentials: set AWS_PROFILE (or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY) to the operator's",
    ],
    [
      'credentials without the permission',
      {
        cognitoFailure: awsError(
          'AccessDeniedException',
          'User: arn:aws:iam::1:user/ops is not authorized to perform: cognito-idp:AdminGetUser',
        ),
      },
      { USER_POOL_ID: POOL_ID },
      'is not authorized to perform: cognito-idp:AdminGetUser\nThe credentials must allow cognito-idp:AdminGetUser,',
    ],
    [
      'a pool that does not exist',
      { cognitoFailure: awsError('ResourceNotFoundException', 'User pool eu-west-1_Gone does not exist.') },
      { USER_POOL_ID: 'eu-west-1_Gone' },
      'User pool eu-west-1_Gone does not exist.: USER_POOL_ID (or the stack) names no user pool',
    ],
  ])('fails on %s with one clear message, exit code 1', async (_case, script, env, message) => {
    // Prepare
    const { clients } = scripted({ users: ['ace'], ...script });

    // Act
    const result = await admin(['grant', 'ghost'], env, clients);

    // Assess
    expect(result).toEqual({ code: 1, out: [], err: [expect.stringContaining(message)] });
  });

  it('says that no local stack answers when nothing listens at the endpoint', async () => {
    // Prepare: a port nobody listens on.
    const endpoint = `http://127.0.0.1:${await freePort()}`;
    const { clients } = scripted({});
    clients.cognito = new CognitoIdentityProviderClient({
      region: 'us-east-1',
      endpoint,
      credentials: { accessKeyId: 'AKIALOCALOPERATOR000', secretAccessKey: 'secret' },
      maxAttempts: 1,
    });

    // Act
    const result = await admin(
      ['list'],
      { USER_POOL_ID: 'us-east-1_local', AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER: endpoint },
      clients,
    );

    // Assess
    expect(result).toEqual({
      code: 1,
      out: [],
      err: [
        `Nothing answers at ${endpoint}: is the local stack running (npm start)? Its banner prints this command's line.`,
      ],
    });
  });
});
