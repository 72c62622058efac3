import { apiHandler } from '#commons/http';
import { getAuthService } from '#commons/composition-root';
import { parseInput } from '#core/validation';
import { loginRequest } from '#core/schemas';

const auth = getAuthService();

export const handler = apiHandler(async (event) => ({
  statusCode: 200,
  body: await auth.login(parseInput(loginRequest, event.body)),
}));
