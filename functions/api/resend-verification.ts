import { authenticatedApiHandler } from '#commons/http';
import { getEmailVerificationService } from '#commons/composition-root';

const verification = getEmailVerificationService();

export const handler = authenticatedApiHandler(async (_event, caller) => {
  await verification.resend(caller);
  return { statusCode: 202 };
});
