import { type Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { synthesize } from '#test/infra/synth';

// Prepare + Act once per file: synthesizing is the expensive step; each test assesses one behaviour.
let template: Template;
beforeAll(() => {
  template = synthesize().template;
});

function userPool(): Record<string, unknown> {
  return Object.values(template.findResources('AWS::Cognito::UserPool'))[0]?.Properties as Record<
    string,
    unknown
  >;
}

describe('user pool', () => {
  it('enforces the password policy of docs/spec.md §2: 8 characters, upper, lower and digit, no symbol required', () => {
    expect(userPool().Policies).toEqual({
      PasswordPolicy: {
        MinimumLength: 8,
        RequireUppercase: true,
        RequireLowercase: true,
        RequireNumbers: true,
        RequireSymbols: false,
        TemporaryPasswordValidityDays: 3,
      },
    });
  });

  it('allows sign-up (through our API), requires an email and matches usernames case-insensitively', () => {
    expect(userPool()).toMatchObject({
      AdminCreateUserConfig: { AllowAdminCreateUserOnly: false },
      UsernameConfiguration: { CaseSensitive: false },
      Schema: [{ Name: 'email', Required: true, Mutable: true }],
      MfaConfiguration: 'OFF',
    });
    expect(userPool().AliasAttributes).toBeUndefined();
    expect(userPool().UsernameAttributes).toBeUndefined();
  });

  it('is retained on stack deletion by default', () => {
    template.hasResource('AWS::Cognito::UserPool', {
      DeletionPolicy: 'Retain',
      UpdateReplacePolicy: 'Retain',
    });
  });
});

describe('app client', () => {
  it('is public (no secret) with password and refresh-token auth only', () => {
    const client = Object.values(template.findResources('AWS::Cognito::UserPoolClient'))[0]
      ?.Properties as Record<string, unknown>;
    expect(client).toMatchObject({
      GenerateSecret: false,
      ExplicitAuthFlows: ['ALLOW_USER_PASSWORD_AUTH', 'ALLOW_REFRESH_TOKEN_AUTH'],
      PreventUserExistenceErrors: 'ENABLED',
      EnableTokenRevocation: true,
      AccessTokenValidity: 60,
      RefreshTokenValidity: 43200,
    });
  });
});
