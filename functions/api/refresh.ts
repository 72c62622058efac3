import { apiHandler } from '#commons/http';
import { getAuthService } from '#commons/composition-root';
import { parseInput } from '#core/validation';
import { refreshRequest } from '#core/schemas';

const auth = getAuthService();

export const handler = apiHandler(async (event) => {
  const { refresh_token: refreshToken } = parseInput(refreshRequest, event.body);
  return { statusCode: 200, body: await auth.refresh(refreshToken) };
});
