import { apiHandler } from '#commons/http';
import { getAuthService } from '#commons/composition-root';
import { parseInput } from '#core/validation';
import { refreshRequest } from '#core/schemas';

const auth = getAuthService();

export const handler = apiHandler(async (event) => {
  await auth.logout(parseInput(refreshRequest, event.body).refresh_token);
  return { statusCode: 204 };
});
