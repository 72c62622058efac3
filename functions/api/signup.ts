import { apiHandler } from '#commons/http';
import { authService } from '#commons/services';
import { parseInput } from '#core/validation';
import { signupRequest } from '#core/schemas';

const auth = authService();

export const handler = apiHandler(async (event) => ({
  statusCode: 201,
  body: await auth.signUp(parseInput(signupRequest, event.body)),
}));
