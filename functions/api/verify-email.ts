import { authenticatedApiHandler } from '#commons/http';
import { getEmailVerificationService } from '#commons/composition-root';
import { parseInput } from '#core/validation';
import { verifyEmailRequest } from '#core/schemas';

const verification = getEmailVerificationService();

export const handler = authenticatedApiHandler(async (event, caller) => {
  await verification.verify(caller, parseInput(verifyEmailRequest, event.body).code);
  return { statusCode: 204 };
});
