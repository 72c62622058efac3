import { apiHandler } from '#commons/http';
import { getAuthService } from '#commons/composition-root';
import { parseInput } from '#core/validation';
import { forgotPasswordRequest } from '#core/schemas';

const auth = getAuthService();

/** 202 whether or not the account exists: the answer says nothing about it (docs/api.md, "Password reset"). */
export const handler = apiHandler(async (event) => {
  await auth.forgotPassword(parseInput(forgotPasswordRequest, event.body));
  return { statusCode: 202 };
});
