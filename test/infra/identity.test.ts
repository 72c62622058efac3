import { RemovalPolicy } from 'aws-cdk-lib';
import { Match, type Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { CODE_EMAIL } from '#core/auth-service';
import {
  CLIENT_SETTINGS,
  CLIENT_WRITE_ATTRIBUTES,
  POOL_GROUPS,
  POOL_RULES,
} from '#infra/local/services/cognito';
import { logicalId, policyStatementsOf, propertiesOf, synthesize, type Synthesized } from '#test/infra/synth';

// Prepare + Act once per file: synthesizing is the expensive step; each test assesses one behaviour.
let synthesized: Synthesized;
let template: Template;
beforeAll(() => {
  synthesized = synthesize();
  template = synthesized.template;
});

/** Cognito's standard (OpenID Connect) attributes; every other schema attribute is custom (Cognito developer guide). */
const STANDARD_ATTRIBUTES = [
  'address',
  'birthdate',
  'email',
  'email_verified',
  'family_name',
  'gender',
  'given_name',
  'locale',
  'middle_name',
  'name',
  'nickname',
  'phone_number',
  'phone_number_verified',
  'picture',
  'preferred_username',
  'profile',
  'updated_at',
  'website',
  'zoneinfo',
];

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

  it('has no self sign-up, requires an email, and keeps usernames and the email alias unique in any case', () => {
    expect(userPool()).toMatchObject({
      AdminCreateUserConfig: { AllowAdminCreateUserOnly: true },
      UsernameConfiguration: { CaseSensitive: false },
      AliasAttributes: ['email'],
      Schema: [{ Name: 'email', Required: true, Mutable: true }],
      MfaConfiguration: 'OFF',
    });
    expect(userPool().UsernameAttributes).toBeUndefined();
    // Marking the email unverified sends Cognito's verification message (with the API's code, CustomMessage).
    expect(userPool().AutoVerifiedAttributes).toEqual(['email']);
    // The local pool holds the same rules (infra/local/services/cognito.ts).
    expect(POOL_RULES).toEqual({
      AdminCreateUserConfig: userPool().AdminCreateUserConfig,
      UsernameConfiguration: userPool().UsernameConfiguration,
      AliasAttributes: userPool().AliasAttributes,
      AutoVerifiedAttributes: userPool().AutoVerifiedAttributes,
    });
  });

  it("recovers accounts by a code mailed to the verified email on Cognito's default sender, worded as the local mailbox words it", () => {
    expect(userPool()).toMatchObject({
      AccountRecoverySetting: { RecoveryMechanisms: [{ Name: 'verified_email', Priority: 1 }] },
      VerificationMessageTemplate: {
        DefaultEmailOption: 'CONFIRM_WITH_CODE',
        EmailSubject: CODE_EMAIL.subject,
        EmailMessage: CODE_EMAIL.body,
      },
    });
    // Cognito's default sender (no SES): 50 emails a day for the pool (docs/infra.md).
    expect(userPool().EmailConfiguration).toBeUndefined();
  });

  it('is kept on stack deletion and replacement, and unprotected until deletionProtection is set (a failed first deploy deletes it)', () => {
    template.hasResource('AWS::Cognito::UserPool', {
      DeletionPolicy: 'RetainExceptOnCreate',
      UpdateReplacePolicy: 'Retain',
      Properties: Match.objectLike({ DeletionProtection: 'INACTIVE' }),
    });
  });

  it('can be deleted with a disposable (DESTROY) stack', () => {
    synthesize({ removalPolicy: RemovalPolicy.DESTROY }).template.hasResourceProperties(
      'AWS::Cognito::UserPool',
      {
        DeletionProtection: 'INACTIVE',
      },
    );
  });
});

describe('app client', () => {
  const client = () =>
    Object.values(template.findResources('AWS::Cognito::UserPoolClient'))[0]?.Properties as Record<
      string,
      unknown
    >;

  it('is public (no secret) with password and refresh-token auth only, revocable tokens', () => {
    expect(client()).toMatchObject({
      GenerateSecret: false,
      ExplicitAuthFlows: ['ALLOW_USER_PASSWORD_AUTH', 'ALLOW_REFRESH_TOKEN_AUTH'],
      PreventUserExistenceErrors: 'ENABLED',
      EnableTokenRevocation: true,
      // 15 minutes: the longest an access token of a logged-out session still acts (docs/api.md).
      AccessTokenValidity: 15,
      IdTokenValidity: 15,
      RefreshTokenValidity: 43200,
      TokenValidityUnits: { AccessToken: 'minutes', IdToken: 'minutes', RefreshToken: 'minutes' },
    });
    // Rotation would refuse REFRESH_TOKEN_AUTH (docs/api.md, "Refresh tokens are not rotated").
    expect(client().RefreshTokenRotation).toBeUndefined();
  });

  it('has OAuth off: no flows, scopes, callback URLs or identity providers', () => {
    expect(client()).toMatchObject({ AllowedOAuthFlowsUserPoolClient: false });
    for (const key of ['AllowedOAuthFlows', 'AllowedOAuthScopes', 'CallbackURLs', 'LogoutURLs'])
      expect(client()[key]).toBeUndefined();
  });

  it('may write only the required email (an empty list would mean every standard attribute)', () => {
    expect(client().WriteAttributes).toEqual(['email']);
  });

  it('is the client the local stack creates in cognito-local', () => {
    expect(CLIENT_WRITE_ATTRIBUTES).toEqual(client().WriteAttributes);
    expect(CLIENT_SETTINGS).toEqual({
      ExplicitAuthFlows: client().ExplicitAuthFlows,
      WriteAttributes: client().WriteAttributes,
      EnableTokenRevocation: client().EnableTokenRevocation,
      AccessTokenValidity: client().AccessTokenValidity,
      IdTokenValidity: client().IdTokenValidity,
      RefreshTokenValidity: client().RefreshTokenValidity,
      TokenValidityUnits: client().TokenValidityUnits,
    });
  });
});

/** Cognito's own rule, which CDK does not type: "Invalid write attributes specified while creating a client". */
describe('every app client of every pool', () => {
  it('can write every required attribute of its pool (standard or custom), or leaves WriteAttributes unset', () => {
    const pools = template.findResources('AWS::Cognito::UserPool');
    const clients = Object.values(template.findResources('AWS::Cognito::UserPoolClient')).map(
      ({ Properties }) => Properties as { UserPoolId: { Ref: string }; WriteAttributes?: string[] },
    );
    expect(clients.length).toBeGreaterThan(0);
    // Unset means every attribute is writable, which satisfies the rule.
    for (const { UserPoolId, WriteAttributes = [] } of clients.filter(
      (c) => c.WriteAttributes !== undefined,
    )) {
      const pool = pools[UserPoolId.Ref]?.Properties as {
        Schema?: { Name: string; Required?: boolean; AttributeDataType?: string }[];
      };
      // Custom attributes are declared by their bare name and written as custom:<name>.
      const standard = new Set(STANDARD_ATTRIBUTES);
      const required = (pool.Schema ?? [])
        .filter((attribute) => attribute.Required === true)
        .map((attribute) => (standard.has(attribute.Name) ? attribute.Name : `custom:${attribute.Name}`));
      expect(WriteAttributes).toEqual(expect.arrayContaining(required));
    }
  });
});

describe('groups', () => {
  it('has the league-admins group in the pool, and exactly the groups the local stack creates in cognito-local', () => {
    const groups = Object.values(template.findResources('AWS::Cognito::UserPoolGroup')).map(
      ({ Properties }) => Properties as { GroupName: string; UserPoolId: { Ref: string } },
    );
    expect(groups.map((group) => group.GroupName)).toEqual(['league-admins']);
    expect(groups[0]?.UserPoolId.Ref).toMatch(/^IdentityUserPool/);
    expect(POOL_GROUPS).toEqual(groups.map((group) => group.GroupName));
  });
});

describe('the verification email', () => {
  it("runs a CustomMessage trigger outside the VPC, with no permission, that writes the API's code", () => {
    const triggerId = logicalId(synthesized.stack, synthesized.stack.identity.customMessage);
    expect(userPool()).toMatchObject({
      LambdaConfig: { CustomMessage: { 'Fn::GetAtt': [triggerId, 'Arn'] } },
    });
    const properties = propertiesOf(template, triggerId);
    expect('VpcConfig' in properties).toBe(false);
    expect(properties.Timeout).toBe(5);
    expect(policyStatementsOf(template, triggerId)).toEqual([]);
    template.hasResourceProperties('AWS::Lambda::Permission', {
      Action: 'lambda:InvokeFunction',
      Principal: 'cognito-idp.amazonaws.com',
      FunctionName: { 'Fn::GetAtt': [triggerId, 'Arn'] },
    });
  });
});

describe('no self-service side door', () => {
  it('runs a V2 pre-token-generation trigger (Essentials plan) that takes the self-service scope out of access tokens', () => {
    const triggerId = logicalId(synthesized.stack, synthesized.stack.identity.preTokenGeneration);
    expect(userPool()).toMatchObject({
      UserPoolTier: 'ESSENTIALS',
      LambdaConfig: {
        PreTokenGenerationConfig: {
          LambdaArn: { 'Fn::GetAtt': [triggerId, 'Arn'] },
          LambdaVersion: 'V2_0',
        },
      },
    });
    // Outside the VPC, with no permission of its own: it only rewrites the event it is given.
    const properties = propertiesOf(template, triggerId);
    expect('VpcConfig' in properties).toBe(false);
    expect(policyStatementsOf(template, triggerId)).toEqual([]);
    template.hasResourceProperties('AWS::Lambda::Permission', {
      Action: 'lambda:InvokeFunction',
      Principal: 'cognito-idp.amazonaws.com',
      FunctionName: { 'Fn::GetAtt': [triggerId, 'Arn'] },
    });
  });
});
