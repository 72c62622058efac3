import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ConfigurationError } from '#core/platform-errors';

/** What the stack gives a database route (Database.appUse): the database, nothing of the bucket. */
const DATABASE_ROUTE_ENVIRONMENT = {
  AWS_REGION: 'eu-west-1',
  DB_HOST: 'db.internal',
  DB_PORT: '5432',
  DB_NAME: 'idrl',
  DB_USER: 'idrl_app',
  DB_IAM_AUTH: 'true',
};

// Each entry file builds its services at module scope, as at a Lambda cold start: a fresh module graph per test.
beforeEach(() => {
  vi.resetModules();
  for (const [name, value] of Object.entries(DATABASE_ROUTE_ENVIRONMENT)) vi.stubEnv(name, value);
  for (const name of ['BUCKET_NAME', 'S3_ENDPOINT', 'DATABASE_URL']) vi.stubEnv(name, undefined);
});
afterEach(() => {
  vi.unstubAllEnvs();
});

describe('gallery entry files at init', () => {
  it.each(['vote', 'withdraw-vote', 'rankings'])(
    '%s, which signs no URL, loads with the database settings alone (no BUCKET_NAME)',
    async (name) => {
      // Act
      const entry = (await import(`#functions/api/${name}`)) as { handler: unknown };

      // Assess
      expect(entry.handler).toBeTypeOf('function');
    },
  );

  it.each(['list-public-videos', 'get-public-video'])(
    '%s, which signs media URLs, still requires BUCKET_NAME',
    async (name) => {
      // Act
      const loading = import(`#functions/api/${name}`);

      // Assess
      await expect(loading).rejects.toThrow(
        new ConfigurationError('Environment variable BUCKET_NAME is required'),
      );
    },
  );
});
