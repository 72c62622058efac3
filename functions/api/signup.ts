import { apiHandler } from '#commons/http';
import { getSignupService } from '#commons/composition-root';
import { parseInput } from '#core/validation';
import { signupRequest } from '#core/schemas';

const auth = getSignupService();

export const handler = apiHandler(async (event) => ({
  statusCode: 201,
  body: await auth.signUp(parseInput(signupRequest, event.body)),
}));
