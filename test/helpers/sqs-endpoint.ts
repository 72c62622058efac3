/**
 * The local stack's SQS API over one queue's dead letters, on a gateway of its own, for tests that run
 * `npm run redrive` (functions/ops/redrive.ts) against it as an admin's shell would.
 */
import { type Gateway, startGateway } from '#infra/local/gateway';
import type { SqsQueue } from '#infra/local/queue';
import { freePort } from '#infra/local/services/preflight';
import { sqsApi } from '#infra/local/sqs-endpoint';

export async function startSqsEndpoint(queue: SqsQueue, region: string): Promise<Gateway> {
  const port = await freePort();
  const gateway = await startGateway({
    port,
    region,
    routes: [],
    authorizer: () => Promise.resolve({ isAuthorized: false }),
    corsOrigins: [],
    functionTimeoutSeconds: 5,
    awsApi: sqsApi({ deadLetters: queue.deadLetters, endpoint: () => `http://localhost:${port}` }),
    onError: (error) => {
      throw error;
    },
  });
  // The redrive command's SDK client reads it from the environment.
  process.env.AWS_ENDPOINT_URL_SQS = gateway.url;
  return gateway;
}
