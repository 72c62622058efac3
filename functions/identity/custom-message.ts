import type { CustomMessageTriggerEvent } from 'aws-lambda';
import {
  VERIFICATION_CODE_METADATA,
  VERIFICATION_EMAIL_SUBJECT,
  verificationEmailBody,
} from '#core/verification-email';

/**
 * The user pool's CustomMessage trigger: the email Cognito sends when the API's AdminUpdateUserAttributes marks the
 * email unverified carries the API's own code, passed as ClientMetadata (docs/api.md, "Verifying the email"). Every
 * other message (a password reset's code) is left as the pool's template words it. Nothing is logged: the event
 * holds the code.
 */
export function handler(event: CustomMessageTriggerEvent): Promise<CustomMessageTriggerEvent> {
  const code = event.request.clientMetadata?.[VERIFICATION_CODE_METADATA];
  if (event.triggerSource === 'CustomMessage_UpdateUserAttribute' && code !== undefined) {
    event.response.emailSubject = VERIFICATION_EMAIL_SUBJECT;
    event.response.emailMessage = verificationEmailBody(code, event.request.codeParameter);
  }
  return Promise.resolve(event);
}
