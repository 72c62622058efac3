import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bundleLikeCdk } from '#test/helpers/lambda-bundle';

const run = promisify(execFile);
const INVOKE =
  'const { handler } = await import(process.argv[1]); process.stdout.write(JSON.stringify(await handler()));';

let dir: string;
let bundle: string;
let credentialsFile: string;

// Prepare once: the fixture bundled as CDK bundles every function, and a shared credentials file
// that the SDK's default chain would read when the environment has no keys.
beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'idrl-credentials-'));
  bundle = path.join(dir, 'index.mjs');
  await bundleLikeCdk('test/infra/fixtures/sign-with-default-credentials.ts', bundle);
  credentialsFile = path.join(dir, 'credentials');
  writeFileSync(
    credentialsFile,
    '[default]\naws_access_key_id = AKIDFROMFILE\naws_secret_access_key = file-secret\n',
  );
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

/** Runs the bundle's handler in a fresh Node process with only these variables (plus the file locations). */
function invoke(env: Record<string, string>): Promise<{ stdout: string }> {
  return run(process.execPath, ['--input-type=module', '-e', INVOKE, bundle], {
    env: {
      PATH: process.env.PATH ?? '',
      HOME: dir,
      AWS_SHARED_CREDENTIALS_FILE: credentialsFile,
      AWS_CONFIG_FILE: path.join(dir, 'config'),
      AWS_EC2_METADATA_DISABLED: 'true',
      ...env,
    },
  });
}

/** Who signed: the access key id, scope without the date, and the session token of a presigned URL or RDS token. */
function signedBy(signed: string): { credential: string | undefined; token: string | null } {
  const query = new URL(signed.startsWith('https://') ? signed : `https://${signed}`).searchParams;
  return {
    credential: query.get('X-Amz-Credential')?.replace(/\/\d{8}\//, '/'),
    token: query.get('X-Amz-Security-Token'),
  };
}

describe('a function bundle built with LAMBDA_BUNDLING', () => {
  it('signs S3 URLs and RDS IAM tokens with the credentials Lambda puts in the environment', async () => {
    // Act
    const { stdout } = await invoke({
      AWS_ACCESS_KEY_ID: 'AKIDFROMENV',
      AWS_SECRET_ACCESS_KEY: 'env-secret',
      AWS_SESSION_TOKEN: 'env-session',
    });

    // Assess
    const { s3Url, rdsToken } = JSON.parse(stdout) as { s3Url: string; rdsToken: string };
    expect({ s3: signedBy(s3Url), rds: signedBy(rdsToken) }).toEqual({
      s3: { credential: 'AKIDFROMENV/us-east-1/s3/aws4_request', token: 'env-session' },
      rds: { credential: 'AKIDFROMENV/us-east-1/rds-db/aws4_request', token: 'env-session' },
    });
  });

  it('reads no other credential source: without environment keys it fails instead of using the shared credentials file', async () => {
    // Act
    const failure = await invoke({}).then(
      () => ({ code: 0, stderr: '' }),
      (error: unknown) => error as { code: number; stderr: string },
    );

    // Assess: the env provider's own error (the SDK chain would have signed with the file's key).
    expect({
      code: failure.code,
      error: /\[CredentialsProviderError\]: .*/.exec(failure.stderr)?.[0],
    }).toEqual({
      code: 1,
      error: '[CredentialsProviderError]: Unable to find environment variable credentials.',
    });
  });
});
