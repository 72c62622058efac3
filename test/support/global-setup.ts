/**
 * Global setup of the vitest `integration` project: PostgreSQL (migrated), s3rver and
 * cognito-local, started once on free ports in a temporary folder, so a run never collides with
 * a running `npm start`. Test files receive the handlers' environment through provide/inject
 * (applied to process.env by test/support/integration-env.ts before they are imported).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { startBackingServices } from '#infra/local/services/backing';
import { freePort } from '#infra/local/services/preflight';

declare module 'vitest' {
  export interface ProvidedContext {
    /** The handlers' environment: DATABASE_URL, BUCKET_NAME, S3_ENDPOINT, USER_POOL_ID, ... */
    localEnv: Record<string, string>;
    /** The local Cognito's mailbox (infra/local/services/mailbox.ts): every code it would have emailed. */
    mailboxFile: string;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const stateDir = await mkdtemp(join(tmpdir(), 'idrl-integration-'));
  const services = await startBackingServices({
    ports: { postgres: await freePort(), s3: await freePort(), cognito: await freePort() },
    stateDir,
    // With DATABASE_URL set, tests get a database of their own on that server.
    database: `idrl_test_${process.pid}`,
    externalDatabaseUrl: process.env.DATABASE_URL,
    temporaryDatabase: true,
    corsOrigins: ['http://localhost'],
    // Integration tests drive the worker with SQS events they build; nothing listens here.
    onObjectCreated: () => Promise.resolve(),
  });
  project.provide('localEnv', {
    ...services.env,
    // Nothing answers SQS here (a closed port): a test that sends starts its own SQS surface, which points this
    // at itself (test/helpers/aws-endpoint.ts). Set so that every handler finds its configuration at import.
    UPLOAD_QUEUE_URL: 'http://127.0.0.1:9/000000000000/idrl-uploads',
  });
  project.provide('mailboxFile', services.cognito.mailbox.file);
  return async function teardown() {
    await services.stop();
    await rm(stateDir, { recursive: true, force: true });
  };
}
