import { invocableHandler } from '#commons/invocable';
import { getEmailCodeService } from '#commons/composition-root';
import { emailCodeEvent } from '#core/schemas';

const codes = getEmailCodeService();

/**
 * Inside the VPC: the API's email-verification codes and the verified mirror (docs/api.md, "Verifying the email").
 * Invoked only by the signup and verification routes, synchronously, with the caller their authorizer verified (or
 * the account signup just created); IAM lets nothing else call it. Nothing is logged: a code is in the answer.
 */
export const handler = invocableHandler(emailCodeEvent, async (event) => {
  switch (event.action) {
    case 'issue':
      return { code: await codes.issue(event.caller) };
    case 'check':
      return codes.check(event.caller, event.code).then(() => null);
    case 'mark-verified':
      return codes.markVerified(event.caller).then(() => null);
  }
});
