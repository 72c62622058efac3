import { apiHandler } from '#commons/http';
import { authService } from '#commons/services';
import { parseInput } from '#core/validation';
import { loginRequest } from '#core/schemas';

const auth = authService();

export const handler = apiHandler(async (event) => ({
  statusCode: 200,
  body: await auth.login(parseInput(loginRequest, event.body)),
}));
