/**
 * The email that carries a pilot's verification code (docs/api.md, "Verifying the email"): written by the user
 * pool's CustomMessage trigger (functions/identity/custom-message.ts) on AWS and in the local stack alike, and read
 * back by the local mailbox (infra/local/services/mailbox.ts), so the two cannot disagree on where the code is.
 */

/** The ClientMetadata key that carries the API's code from AdminUpdateUserAttributes to the trigger. */
export const VERIFICATION_CODE_METADATA = 'verificationCode';

/** Hours a code stays valid, and wrong attempts that void it (functions/core/email-verification.ts). */
export const VERIFICATION_CODE_HOURS = 24;

export const VERIFICATION_EMAIL_SUBJECT = 'Your IDRL verification code';

const CODE_LINE = 'Your IDRL verification code is ';

/**
 * Cognito refuses a verification message without its own code's placeholder (`codeParameter`, `{####}`), and
 * replaces it with a code of its own that this API never checks (the pilots' access tokens cannot call
 * VerifyUserAttribute): the message says so, so nobody types the wrong number.
 */
export function verificationEmailBody(code: string, codeParameter: string): string {
  return [
    `${CODE_LINE}${code}`,
    '',
    `Enter it in the IDRL console within ${VERIFICATION_CODE_HOURS} hours to verify this email address. ` +
      'Until then you can upload, but not vote, and your videos stay out of the public gallery.',
    "If you did not sign up for IDRL, ignore this email: the address is not usable by anyone until it's verified.",
    '',
    `(Amazon Cognito's message reference, not your code: ${codeParameter})`,
  ].join('\n');
}

/** The API's code in a verification email's text, or undefined when the text is not one. */
export function verificationCodeIn(text: string): string | undefined {
  return new RegExp(`${CODE_LINE}([0-9]{6})`).exec(text)?.[1];
}
