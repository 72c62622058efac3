import {
  AdminCreateUserCommand,
  AdminDeleteUserCommand,
  AdminSetUserPasswordCommand,
  CognitoIdentityProviderClient,
  InitiateAuthCommand,
  InternalErrorException,
  LimitExceededException,
  TooManyRequestsException,
} from '@aws-sdk/client-cognito-identity-provider';
import { describe, expect, it } from 'vitest';
import { CognitoIdentityProvider } from '#adapters/cognito/identity-provider';
import { ServiceUnavailableError } from '#core/errors';

/** A client whose `send` answers from a script and records every command it was given. */
function scriptedClient(answer: (command: object) => unknown): {
  client: CognitoIdentityProviderClient;
  sent: object[];
} {
  const client = new CognitoIdentityProviderClient({ region: 'us-east-1' });
  const sent: object[] = [];
  client.send = (async (command: object) => {
    sent.push(command);
    await Promise.resolve();
    return answer(command);
  }) as CognitoIdentityProviderClient['send'];
  return { client, sent };
}

const CREATED = { User: { Username: 'ace', Attributes: [{ Name: 'sub', Value: 'sub-1' }] } };

describe('CognitoIdentityProvider.signUp', () => {
  it('creates the user with an unverified email and no message, then makes the password permanent', async () => {
    // Prepare
    const { client, sent } = scriptedClient((command) =>
      command instanceof AdminCreateUserCommand ? CREATED : {},
    );
    const provider = new CognitoIdentityProvider(client, 'pool-1', 'client-1');

    // Act
    const result = await provider.signUp({
      username: 'ace',
      email: 'ace@example.com',
      password: 'Secret123',
    });

    // Assess
    expect(result).toEqual({ sub: 'sub-1' });
    expect(sent.map((command) => (command as { input: unknown }).input)).toEqual([
      {
        UserPoolId: 'pool-1',
        Username: 'ace',
        TemporaryPassword: 'Secret123',
        MessageAction: 'SUPPRESS',
        UserAttributes: [
          { Name: 'email', Value: 'ace@example.com' },
          { Name: 'email_verified', Value: 'false' },
        ],
      },
      { UserPoolId: 'pool-1', Username: 'ace', Password: 'Secret123', Permanent: true },
    ]);
  });

  it('deletes the new user and rethrows when the password cannot be made permanent, so nothing stays held', async () => {
    // Prepare
    const failure = new InternalErrorException({ message: 'Cognito is having a bad day', $metadata: {} });
    const { client, sent } = scriptedClient((command) => {
      if (command instanceof AdminCreateUserCommand) return CREATED;
      if (command instanceof AdminSetUserPasswordCommand) throw failure;
      return {};
    });
    const provider = new CognitoIdentityProvider(client, 'pool-1', 'client-1');

    // Act
    const signingUp = provider.signUp({ username: 'ace', email: 'ace@example.com', password: 'Secret123' });

    // Assess
    await expect(signingUp).rejects.toBe(failure);
    expect(sent.map((command) => command.constructor.name)).toEqual([
      'AdminCreateUserCommand',
      'AdminSetUserPasswordCommand',
      'AdminDeleteUserCommand',
    ]);
    expect((sent[2] as AdminDeleteUserCommand).input).toEqual({ UserPoolId: 'pool-1', Username: 'ace' });
  });

  it('reports both failures when the sign-up can be neither completed nor undone', async () => {
    // Prepare
    const setFailure = new InternalErrorException({ message: 'set failed', $metadata: {} });
    const deleteFailure = new InternalErrorException({ message: 'delete failed', $metadata: {} });
    const { client } = scriptedClient((command) => {
      if (command instanceof AdminCreateUserCommand) return CREATED;
      if (command instanceof AdminSetUserPasswordCommand) throw setFailure;
      if (command instanceof AdminDeleteUserCommand) throw deleteFailure;
      return {};
    });
    const provider = new CognitoIdentityProvider(client, 'pool-1', 'client-1');

    // Act
    const error: unknown = await provider
      .signUp({ username: 'cat', email: 'cat@example.com', password: 'Secret123' })
      .catch((thrown: unknown) => thrown);

    // Assess
    expect(error).toBeInstanceOf(AggregateError);
    expect((error as AggregateError).errors).toEqual([setFailure, deleteFailure]);
  });
});

describe('CognitoIdentityProvider and Cognito throttling', () => {
  it.each([
    ['TooManyRequestsException', new TooManyRequestsException({ message: 'Rate exceeded', $metadata: {} })],
    ['LimitExceededException', new LimitExceededException({ message: 'Limit exceeded', $metadata: {} })],
  ])(
    'turns %s into ServiceUnavailableError with a retry delay, for sign-up and login',
    async (name, throttled) => {
      // Prepare
      const { client } = scriptedClient((command) => {
        if (command instanceof AdminCreateUserCommand || command instanceof InitiateAuthCommand)
          throw throttled;
        return {};
      });
      const provider = new CognitoIdentityProvider(client, 'pool-1', 'client-1');

      // Act
      const signUp: unknown = await provider
        .signUp({ username: 'ace', email: 'ace@example.com', password: 'Secret123' })
        .catch((thrown: unknown) => thrown);
      const login: unknown = await provider
        .login({ username: 'ace', password: 'Secret123' })
        .catch((thrown: unknown) => thrown);

      // Assess
      for (const error of [signUp, login]) {
        expect(error).toBeInstanceOf(ServiceUnavailableError);
        expect(error).toMatchObject({
          message: `Cognito is throttling requests (${name})`,
          retryAfterSeconds: 5,
          cause: throttled,
        });
      }
    },
  );
});
