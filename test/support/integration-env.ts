/**
 * Setup file of the `integration` project: runs in each test worker before the test file is
 * imported, so handlers that read their configuration at module scope see the local services.
 *
 * Signup invokes the in-VPC email codes (functions/ops/email-codes.ts), and suspend/reinstate the pilot standing
 * (functions/ops/pilot-standing.ts), through the Lambda API, as on AWS: a gateway of this file answers both, so every
 * signed-up test account gets its code in the local mailbox. The SDK's Lambda client is made once per process, at
 * the first handler import that needs it, so it points here whatever a test starts later. A test that needs other
 * invoked functions starts its own gateway and points LAMBDA_ENDPOINT there before importing those handlers.
 */
import { afterAll, inject } from 'vitest';
import { startGateway } from '#infra/local/gateway';
import type { InvocableHandler } from '#infra/local/lambda-api';
import { LOCAL_INVOKED_FUNCTIONS } from '#infra/local/services/backing';
import { freePort } from '#infra/local/services/preflight';
import { signatureOnlyIam } from '#test/helpers/iam';

Object.assign(process.env, inject('localEnv'));

const port = await freePort();
process.env.LAMBDA_ENDPOINT = `http://127.0.0.1:${port}`;
/**
 * Each function is imported at its first invocation, not here: importing a handler builds the process's shared
 * clients (the database pool among them) from the environment, which a test file may still change before its first
 * use (the outage test points the functions at a database of its own behind a switch).
 */
function onFirstUse(load: () => Promise<{ handler: InvocableHandler }>): InvocableHandler {
  return async (event, context) => (await load()).handler(event, context);
}
const gateway = await startGateway({
  port,
  region: 'us-east-1',
  routes: [],
  authorizer: () => Promise.resolve({ isAuthorized: false }),
  functions: new Map([
    [LOCAL_INVOKED_FUNCTIONS.EMAIL_CODES_FUNCTION, onFirstUse(() => import('#functions/ops/email-codes'))],
    [
      LOCAL_INVOKED_FUNCTIONS.PILOT_STANDING_FUNCTION,
      onFirstUse(() => import('#functions/ops/pilot-standing')),
    ],
    [
      LOCAL_INVOKED_FUNCTIONS.PURGE_ACCOUNT_FUNCTION,
      onFirstUse(() => import('#functions/ops/purge-account')),
    ],
  ]),
  corsOrigins: [],
  functionTimeoutSeconds: 30,
  iam: signatureOnlyIam(),
  onError: () => undefined,
});

afterAll(() => gateway.stop());
