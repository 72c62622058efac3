import { apiHandler } from '#commons/http';
import { getAuthService } from '#commons/composition-root';
import { parseInput } from '#core/validation';
import { resetPasswordRequest } from '#core/schemas';

const auth = getAuthService();

export const handler = apiHandler(async (event) => {
  await auth.resetPassword(parseInput(resetPasswordRequest, event.body));
  return { statusCode: 204 };
});
