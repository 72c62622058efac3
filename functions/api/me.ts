import { authenticatedApiHandler } from '#commons/http';
import { getAuthService } from '#commons/composition-root';

const auth = getAuthService();

export const handler = authenticatedApiHandler(async (_event, caller) => ({
  statusCode: 200,
  body: await auth.me(caller),
}));
