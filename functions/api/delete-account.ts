import { authenticatedApiHandler } from '#commons/http';
import { getAccountService } from '#commons/composition-root';
import { parseInput } from '#core/validation';
import { deleteAccountRequest } from '#core/schemas';

const accounts = getAccountService();

export const handler = authenticatedApiHandler(async (event, caller) => {
  await accounts.delete(caller, parseInput(deleteAccountRequest, event.body));
  return { statusCode: 204 };
});
