/**
 * `npm start`: the whole platform on this machine. Configuration (all optional):
 *   PORT (3000) console + API · PG_PORT (5433) · S3_PORT (4569) · COGNITO_PORT (9229)
 *   LOCAL_STATE_DIR (.local) · DATABASE_URL (use that PostgreSQL instead of the embedded one)
 *   CORS_ORIGINS (comma-separated extra browser origins) · LOCAL_RETRY_DELAY_SECONDS (10)
 * Ctrl-C (SIGINT) or SIGTERM stops everything; a second Ctrl-C stops at once.
 */
import { resolve } from 'node:path';
import { type LocalStack, startLocalStack } from './stack';
import { LocalStackConfigError } from './errors';

function port(name: string, fallback: number): number {
  const raw = process.env[name]?.trim();
  if (!raw) return fallback;
  const value = Number(raw);
  if (!/^\d+$/.test(raw) || value < 1 || value > 65_535)
    throw new LocalStackConfigError(`${name} must be a port number (1-65535), got "${raw}".`);
  return value;
}

function seconds(name: string, fallback: number): number {
  const raw = process.env[name]?.trim();
  if (!raw) return fallback;
  if (!/^\d+$/.test(raw) || Number(raw) < 1)
    throw new LocalStackConfigError(`${name} must be a whole number of seconds, got "${raw}".`);
  return Number(raw);
}

function banner(stack: LocalStack, stateDir: string, startedIn: number): string {
  const api = stack.urls.api;
  const json = "-H 'content-type: application/json'";
  return `
IDRL video platform, local stack — up in ${(startedIn / 1000).toFixed(1)} s
  Console       ${stack.urls.console}
  API           ${api}   (OpenAPI: ${api}/openapi.json)
  S3 (s3rver)   ${stack.urls.s3}   bucket ${stack.env.BUCKET_NAME ?? ''}, keys S3RVER / S3RVER
  Cognito       ${stack.urls.cognito}   pool ${stack.env.USER_POOL_ID ?? ''}, client ${stack.env.USER_POOL_CLIENT_ID ?? ''}
  PostgreSQL    ${stack.urls.database}
  State         ${stateDir}   (delete it to start from scratch)

Try it (bash):
  API=${api}
  curl -s $API/auth/signup ${json} -d '{"username":"pilot1","email":"pilot1@example.com","password1":"Secret123","password2":"Secret123"}'
  TOKEN=$(curl -s $API/auth/login ${json} -d '{"username":"pilot1","password":"Secret123"}' | node -p 'JSON.parse(require("fs").readFileSync(0)).access_token')
  ${stack.env.FFMPEG_PATH ?? 'ffmpeg'} -v error -f lavfi -i testsrc=duration=5:size=640x360:rate=30 -f lavfi -i sine=duration=5 -shortest -pix_fmt yuv420p race.mp4
  curl -s $API/tasks -H "authorization: Bearer $TOKEN" ${json} -d "{\\"fileName\\":\\"race.mp4\\",\\"contentType\\":\\"video/mp4\\",\\"size\\":$(stat -c%s race.mp4)}" > task.json
  eval "curl -s $(node -p 'const t=require("./task.json"); Object.entries(t.upload.fields).map(([k,v])=>"-F "+k+"="+JSON.stringify(v)).join(" ")+" -F file=@race.mp4 "+t.upload.url')"
  curl -s $API/tasks/$(node -p 'require("./task.json").id') -H "authorization: Bearer $TOKEN"    # again until "processed"
  curl -s -X DELETE $API/tasks/$(node -p 'require("./task.json").id') -H "authorization: Bearer $TOKEN" -o /dev/null -w '%{http_code}\\n'

Dead-letter queue (runbook: docs/operations.md):
  AWS_ENDPOINT_URL_SQS=${stack.urls.console.replace(/\/$/, '')} AWS_ACCESS_KEY_ID=local AWS_SECRET_ACCESS_KEY=local DLQ_ARN=${stack.deadLetterQueueArn} npm run redrive -- status

Ctrl-C stops everything.
`;
}

async function main(): Promise<void> {
  const startedAt = Date.now();
  const stateDir = resolve(process.env.LOCAL_STATE_DIR?.trim() || '.local');
  const log = (message: string): void => {
    console.error(`[local] ${message}`);
  };
  const stack = await startLocalStack({
    stateDir,
    ports: {
      gateway: port('PORT', 3000),
      postgres: port('PG_PORT', 5433),
      s3: port('S3_PORT', 4569),
      cognito: port('COGNITO_PORT', 9229),
    },
    externalDatabaseUrl: process.env.DATABASE_URL?.trim() || undefined,
    retryDelaySeconds: seconds('LOCAL_RETRY_DELAY_SECONDS', 10),
    corsOrigins: (process.env.CORS_ORIGINS ?? '')
      .split(',')
      .map((origin) => origin.trim())
      .filter(Boolean),
    log,
  });

  let stopping = false;
  const shutdown = (signal: NodeJS.Signals): void => {
    if (stopping) {
      log(`${signal} again: exiting without waiting.`);
      process.exit(1);
    }
    stopping = true;
    log(`${signal}: stopping (a video being processed gets time to finish; Ctrl-C again to force)...`);
    stack.stop().then(
      () => {
        log('stopped.');
        process.exit(0);
      },
      (error: unknown) => {
        log(`stopped with errors: ${String(error)}`);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', shutdown);
  process.on('SIGTERM', shutdown);
  process.on('SIGHUP', shutdown);

  console.log(banner(stack, stateDir, Date.now() - startedAt));
}

main().catch((error: unknown) => {
  if (error instanceof LocalStackConfigError) {
    console.error(`npm start: ${error.message}`);
  } else {
    console.error('npm start: the local stack failed to start.', error);
  }
  process.exit(1);
});
