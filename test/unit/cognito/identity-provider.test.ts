import {
  AdminConfirmSignUpCommand,
  AdminDeleteUserCommand,
  CognitoIdentityProviderClient,
  InternalErrorException,
  ListUsersCommand,
  SignUpCommand,
} from '@aws-sdk/client-cognito-identity-provider';
import { describe, expect, it } from 'vitest';
import { CognitoIdentityProvider } from '#adapters/cognito/identity-provider';

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

describe('CognitoIdentityProvider.signUp', () => {
  it('deletes the new user and rethrows when confirming the sign-up fails, so the username is not left taken', async () => {
    // Prepare
    const failure = new InternalErrorException({ message: 'Cognito is having a bad day', $metadata: {} });
    const { client, sent } = scriptedClient((command) => {
      if (command instanceof ListUsersCommand) return { Users: [] };
      if (command instanceof SignUpCommand) return { UserSub: 'sub-1', UserConfirmed: false };
      if (command instanceof AdminConfirmSignUpCommand) throw failure;
      return {};
    });
    const provider = new CognitoIdentityProvider(client, 'pool-1', 'client-1');

    // Act
    const signingUp = provider.signUp({ username: 'ace', email: 'ace@example.com', password: 'Secret123' });

    // Assess
    await expect(signingUp).rejects.toBe(failure);
    expect(sent.map((command) => command.constructor.name)).toEqual([
      'ListUsersCommand',
      'SignUpCommand',
      'AdminConfirmSignUpCommand',
      'AdminDeleteUserCommand',
    ]);
    expect((sent[3] as AdminDeleteUserCommand).input).toEqual({ UserPoolId: 'pool-1', Username: 'ace' });
  });

  it('reports both failures when the sign-up can be neither confirmed nor undone', async () => {
    // Prepare
    const confirmFailure = new InternalErrorException({ message: 'confirm failed', $metadata: {} });
    const deleteFailure = new InternalErrorException({ message: 'delete failed', $metadata: {} });
    const { client } = scriptedClient((command) => {
      if (command instanceof ListUsersCommand) return { Users: [] };
      if (command instanceof SignUpCommand) return { UserSub: 'sub-3', UserConfirmed: false };
      if (command instanceof AdminConfirmSignUpCommand) throw confirmFailure;
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
    expect((error as AggregateError).errors).toEqual([confirmFailure, deleteFailure]);
  });

  it('confirms the user and returns its sub when every call succeeds', async () => {
    // Prepare
    const { client, sent } = scriptedClient((command) => {
      if (command instanceof ListUsersCommand) return { Users: [] };
      if (command instanceof SignUpCommand) return { UserSub: 'sub-2', UserConfirmed: false };
      return {};
    });
    const provider = new CognitoIdentityProvider(client, 'pool-1', 'client-1');

    // Act
    const result = await provider.signUp({
      username: 'bee',
      email: 'bee@example.com',
      password: 'Secret123',
    });

    // Assess
    expect(result).toEqual({ sub: 'sub-2' });
    expect(sent.map((command) => command.constructor.name)).toEqual([
      'ListUsersCommand',
      'SignUpCommand',
      'AdminConfirmSignUpCommand',
    ]);
  });
});
