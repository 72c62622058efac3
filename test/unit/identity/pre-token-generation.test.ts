import type { PreTokenGenerationV2TriggerEvent } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { handler as preTokenGeneration } from '#functions/identity/pre-token-generation';

describe('pre-token-generation trigger', () => {
  it('suppresses aws.cognito.signin.user.admin in the access token of every login and refresh', async () => {
    // Prepare
    const event = {
      version: '2',
      triggerSource: 'TokenGeneration_RefreshTokens',
      region: 'us-east-1',
      userPoolId: 'us-east-1_test',
      userName: 'ace',
      callerContext: { awsSdkVersion: 'aws-sdk-unknown-unknown', clientId: 'client-1' },
      request: {
        userAttributes: { sub: 'sub-1' },
        groupConfiguration: { groupsToOverride: [], iamRolesToOverride: [] },
        scopes: ['aws.cognito.signin.user.admin'],
      },
      response: { claimsAndScopeOverrideDetails: {} },
    } satisfies PreTokenGenerationV2TriggerEvent;

    // Act
    const result = await preTokenGeneration(event);

    // Assess
    expect(result).toEqual({
      ...event,
      response: {
        claimsAndScopeOverrideDetails: {
          accessTokenGeneration: { scopesToSuppress: ['aws.cognito.signin.user.admin'] },
        },
      },
    });
  });
});
