/**
 * `npm run admin -- grant <username> | revoke <username> | list`: names the league's admins, the members of the user
 * pool's group `league-admins` (docs/operations.md, "Moderation"). Run from a workstation with the operator's own AWS
 * credentials, not as a Lambda. The pool: USER_POOL_ID (the stack output UserPoolId) when set, else the UserPoolId
 * output of the stack STACK_NAME (default IdrlVideoPlatform), read with CloudFormation DescribeStacks in the SDK's
 * region (AWS_REGION or the profile's). Against the local stack, AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER points
 * the same calls at its IAM-enforcing Cognito endpoint (the banner of `npm start` prints the line), as
 * `npm run redrive` does with SQS.
 */
import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import {
  AdminAddUserToGroupCommand,
  AdminGetUserCommand,
  AdminRemoveUserFromGroupCommand,
  CognitoIdentityProviderClient,
  ListUsersInGroupCommand,
} from '@aws-sdk/client-cognito-identity-provider';
import { LEAGUE_ADMINS_GROUP } from '#core/auth-service';
import { pilotParameters } from '#core/schemas';
import { DEFAULT_STACK_NAME } from '../stack-name';
import { LEAGUE_ADMIN_OPERATOR_ACTIONS } from '../local/principals';

const USAGE = `usage: npm run admin -- grant <username> | revoke <username> | list
  The pool: USER_POOL_ID=<the stack output UserPoolId>, or the stack's outputs (STACK_NAME, default ${DEFAULT_STACK_NAME},
  in AWS_REGION). Credentials: the operator's own (docs/operations.md, "Moderation").`;

/** What the operator's credentials must allow: the local operator's Cognito actions, and docs/operations.md's. */
const NEEDED_ACTIONS =
  `${LEAGUE_ADMIN_OPERATOR_ACTIONS.join(', ')} on the user pool, ` +
  'and cloudformation:DescribeStacks on the stack unless USER_POOL_ID is set';

/** A refusal the operator can act on: printed as it is, exit code 1 (2 for a usage error). */
export class AdminCommandError extends Error {
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
    this.name = 'AdminCommandError';
  }
}

export interface AdminIo {
  out(line: string): void;
  err(line: string): void;
}

/** The AWS clients of one run; tests give their own. */
export interface AdminClients {
  cognito: CognitoIdentityProviderClient;
  cloudFormation: CloudFormationClient;
}

interface Member {
  username: string;
  enabled: boolean;
}

type Command = { name: 'grant' | 'revoke'; username: string } | { name: 'list' } | { name: 'help' };

function parse(args: readonly string[]): Command {
  const [name, ...rest] = args;
  if ((name === 'grant' || name === 'revoke') && rest.length === 1 && rest[0] !== undefined) {
    // Checked as the API checks a pilot's name, so that a typo is a usage error rather than Cognito's.
    const parsed = pilotParameters.safeParse({ username: rest[0].trim() });
    if (!parsed.success)
      throw new AdminCommandError(
        `"${rest[0]}" is not a username: ${parsed.error.issues.map((issue) => issue.message).join('; ')}\n${USAGE}`,
        2,
      );
    return { name, username: parsed.data.username };
  }
  if (name === 'list' && rest.length === 0) return { name };
  if ((name === 'help' || name === '--help' || name === '-h') && rest.length === 0) return { name: 'help' };
  throw new AdminCommandError(
    name === undefined ? USAGE : `Unknown command or arguments: ${args.join(' ')}\n${USAGE}`,
    2,
  );
}

/** The SDK's error name (service exceptions and the credential provider's error carry it). */
function errorName(error: unknown): string | undefined {
  return error instanceof Error ? error.name : undefined;
}

async function userPoolId(env: NodeJS.ProcessEnv, cloudFormation: CloudFormationClient): Promise<string> {
  const given = env.USER_POOL_ID?.trim();
  if (given) return given;
  const stackName = env.STACK_NAME?.trim() || DEFAULT_STACK_NAME;
  try {
    const output = await cloudFormation.send(new DescribeStacksCommand({ StackName: stackName }));
    const id = output.Stacks?.[0]?.Outputs?.find((entry) => entry.OutputKey === 'UserPoolId')?.OutputValue;
    if (!id)
      throw new AdminCommandError(`The stack ${stackName} has no UserPoolId output: is it this project's?`);
    return id;
  } catch (error) {
    // CloudFormation's answer for a stack that does not exist (in this account and region).
    if (errorName(error) === 'ValidationError' && /does not exist/.test((error as Error).message)) {
      const region = await cloudFormation.config.region();
      throw new AdminCommandError(
        `No stack named ${stackName} in ${region}: deploy it (npm run deploy), or set STACK_NAME and AWS_REGION to ` +
          `the stack's. For the local stack, use the line npm start prints.`,
      );
    }
    throw error;
  }
}

/** The pool's own spelling of the username: the pool compares usernames case-insensitively, as the API does. */
async function canonicalName(cognito: CognitoIdentityProviderClient, pool: string, username: string) {
  try {
    const user = await cognito.send(new AdminGetUserCommand({ UserPoolId: pool, Username: username }));
    if (user.Username === undefined) throw new Error('AdminGetUser returned no username');
    return user.Username;
  } catch (error) {
    if (errorName(error) === 'UserNotFoundException')
      throw new AdminCommandError(`No pilot named "${username}" in the user pool ${pool}.`);
    throw error;
  }
}

async function members(cognito: CognitoIdentityProviderClient, pool: string): Promise<Member[]> {
  const found: Member[] = [];
  let nextToken: string | undefined;
  do {
    const page = await cognito.send(
      new ListUsersInGroupCommand({
        UserPoolId: pool,
        GroupName: LEAGUE_ADMINS_GROUP,
        Limit: 60,
        NextToken: nextToken,
      }),
    );
    for (const user of page.Users ?? [])
      if (user.Username !== undefined)
        found.push({ username: user.Username, enabled: user.Enabled !== false });
    nextToken = page.NextToken;
  } while (nextToken);
  return found.sort((a, b) => a.username.localeCompare(b.username));
}

async function run(command: Command, env: NodeJS.ProcessEnv, io: AdminIo, clients: AdminClients) {
  if (command.name === 'help') {
    io.out(USAGE);
    return;
  }
  const { cognito } = clients;
  const pool = await userPoolId(env, clients.cloudFormation);
  if (command.name === 'list') {
    const admins = await members(cognito, pool);
    if (admins.length === 0) io.out(`No league admins yet: name one with npm run admin -- grant <username>`);
    for (const admin of admins) io.out(admin.enabled ? admin.username : `${admin.username} (suspended)`);
    return;
  }
  const username = await canonicalName(cognito, pool, command.username);
  const before = await members(cognito, pool);
  const isAdmin = before.some((member) => member.username === username);
  const target = { UserPoolId: pool, Username: username, GroupName: LEAGUE_ADMINS_GROUP };
  if (command.name === 'grant') {
    if (isAdmin) {
      io.out(`${username} is already a league admin; nothing changed.`);
      return;
    }
    await cognito.send(new AdminAddUserToGroupCommand(target));
    io.out(
      `${username} is now a league admin. It takes effect at their next sign-in or token refresh ` +
        `(the token's cognito:groups claim; the console refreshes within 15 minutes).`,
    );
    return;
  }
  if (!isAdmin) {
    io.out(`${username} is not a league admin; nothing changed.`);
    return;
  }
  await cognito.send(new AdminRemoveUserFromGroupCommand(target));
  io.out(
    `${username} is no longer a league admin: the admin routes refuse them within 60 s (the authorizer's cache).`,
  );
  if (before.length === 1)
    io.err(`Warning: the league has no admin now. Name one with npm run admin -- grant <username>.`);
}

/** The message for what went wrong outside the command's own refusals, or undefined for an unexpected error. */
function explain(error: unknown, env: NodeJS.ProcessEnv): string | undefined {
  const name = errorName(error);
  const message = error instanceof Error ? error.message : String(error);
  if (name === 'CredentialsProviderError')
    return (
      `No AWS credentials: set AWS_PROFILE (or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY) to the operator's, ` +
      `allowed ${NEEDED_ACTIONS}. For the local stack, use the line npm start prints.`
    );
  if (/Region is missing/.test(message))
    return `No AWS region: set AWS_REGION to the stack's region (or use a profile that has one).`;
  if ((error as { code?: unknown }).code === 'ECONNREFUSED') {
    const endpoint = env.AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER ?? env.AWS_ENDPOINT_URL ?? 'the endpoint';
    return `Nothing answers at ${endpoint}: is the local stack running (npm start)? Its banner prints this command's line.`;
  }
  if (name === 'AccessDeniedException' || name === 'AccessDenied')
    return `${message}\nThe credentials must allow ${NEEDED_ACTIONS}.`;
  if (name === 'ResourceNotFoundException')
    return `${message}: USER_POOL_ID (or the stack) names no user pool with the league-admins group here.`;
  if (
    name === 'UnrecognizedClientException' ||
    name === 'InvalidClientTokenId' ||
    name === 'InvalidSignatureException' ||
    name === 'SignatureDoesNotMatch'
  )
    return `${message}: the credentials are not valid here (for the local stack, they change at every start).`;
  return undefined;
}

/** Runs one command; answers the exit code. Every failure is one message on `io.err`. */
export async function runAdmin(
  args: readonly string[],
  env: NodeJS.ProcessEnv,
  io: AdminIo,
  clients: AdminClients = {
    cognito: new CognitoIdentityProviderClient(),
    cloudFormation: new CloudFormationClient(),
  },
): Promise<number> {
  try {
    await run(parse(args), env, io, clients);
    return 0;
  } catch (error) {
    if (error instanceof AdminCommandError) {
      io.err(error.message);
      return error.exitCode;
    }
    const known = explain(error, env);
    io.err(known ?? `admin: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    return 1;
  }
}

// Run as a script (tsx), not when a test imports the module.
if (import.meta.url === `file://${process.argv[1] ?? ''}`) {
  void runAdmin(process.argv.slice(2), process.env, {
    out: (line) => {
      console.log(line);
    },
    err: (line) => {
      console.error(line);
    },
  }).then((code) => {
    process.exitCode = code;
  });
}
