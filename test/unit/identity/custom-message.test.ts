import type { CustomMessageTriggerEvent } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { handler } from '#functions/identity/custom-message';
import { VERIFICATION_EMAIL_SUBJECT, verificationCodeIn } from '#core/verification-email';

function event(
  triggerSource: CustomMessageTriggerEvent['triggerSource'],
  clientMetadata?: Record<string, string>,
): CustomMessageTriggerEvent {
  return {
    version: '1',
    region: 'us-east-1',
    userPoolId: 'us-east-1_pool',
    userName: 'ace',
    callerContext: { awsSdkVersion: '3', clientId: 'CLIENT_ID_NOT_APPLICABLE' },
    triggerSource,
    request: {
      userAttributes: {},
      codeParameter: '{####}',
      usernameParameter: null,
      linkParameter: '',
      clientMetadata,
    },
    response: { smsMessage: null, emailMessage: null, emailSubject: null },
  };
}

describe('the CustomMessage trigger', () => {
  it("writes the API's code into the verification email, and keeps Cognito's placeholder, labelled", async () => {
    // Act
    const answer = await handler(event('CustomMessage_UpdateUserAttribute', { verificationCode: '042137' }));

    // Assess
    expect(answer.response.emailSubject).toBe(VERIFICATION_EMAIL_SUBJECT);
    expect(answer.response.emailMessage).toMatch(/^Your IDRL verification code is 042137\n/);
    expect(answer.response.emailMessage).toContain(
      "(Amazon Cognito's message reference, not your code: {####})",
    );
    expect(verificationCodeIn(answer.response.emailMessage ?? '')).toBe('042137');
  });

  it.each([
    ['a password reset', event('CustomMessage_ForgotPassword')],
    ['an attribute update without a code', event('CustomMessage_UpdateUserAttribute')],
  ])("leaves %s to the pool's own message", async (_case, input) => {
    // Act
    const answer = await handler(input);

    // Assess
    expect(answer.response).toEqual({ smsMessage: null, emailMessage: null, emailSubject: null });
  });
});
