/**
 * `npm start`: the whole platform on this machine. Configuration (all optional):
 *   PORT (3000) console + API · PG_PORT (5433) · S3_PORT (4569, s3rver) · S3_IAM_PORT (4570, the S3 endpoint)
 *   COGNITO_PORT (9229)
 *   LOCAL_STATE_DIR (.local) · DATABASE_URL (use that PostgreSQL instead of the embedded one)
 *   CORS_ORIGINS (comma-separated extra browser origins) · LOCAL_RETRY_DELAY_SECONDS (10)
 *   LOCAL_CDK_CONTEXT (`key=value,...`: the synth's `-c` context) · WORKER_TIMEOUT_SECONDS (`-c workerTimeoutSeconds`)
 *   LOCAL_SWEEP_CRON (runs the template's schedules on this cron instead) · LOCAL_IAM=off (no IAM: debugging only)
 *   LOCAL_PER_CLIENT_LIMITS=off (no per-client limits at the gateway: test suites that act from one address)
 * Ctrl-C (SIGINT) or SIGTERM stops everything; a second Ctrl-C (not the copies npm and tsx relay) stops at once.
 */
import { resolve } from 'node:path';
import { ensureOsPackages, FFMPEG_BUILD_PACKAGES, OsSetupError } from '#infra/setup/os-packages';
import { ensureFfmpegBuild } from '#layers/ffmpeg/ffmpeg-build';
import { type FfmpegSource, FfmpegSourceRefusedError } from '#layers/ffmpeg/ffmpeg-source';
import { fromRoot } from '../paths';
import { type LocalStack, startLocalStack } from './stack';
import { LocalStackConfigError } from './errors';
import { LOCAL_REGION } from './services/backing';
import { contextFromEnvironment } from './template/synth';
import { shutdownHandler } from './shutdown';

/** The line above the walkthrough (test/e2e/walkthrough.test.ts finds the steps under it). */
const WALKTHROUGH_HEADING =
  'Try it (bash): paste these lines in one go; it signs up pilot1, makes and uploads a 5 s clip, waits for the edit and deletes it.';

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

/**
 * The curl walkthrough is pasted into a shell in one go, so every line must work when the next ones are
 * already waiting on stdin: ffmpeg never reads stdin (-nostdin) nor asks before overwriting (-y), every
 * output ends with a newline, and the delete waits for the edit (polling only while the task is pending, so
 * an error ends the loop). The upload's fields go as --form-string, taken literally: -F reads a `;` in a value (the
 * trace header's) as a parameter of its own. Pasting it again works too (the signup
 * answers 409, the rest repeats). test/e2e/walkthrough.test.ts runs it exactly as printed, twice.
 */
function walkthrough(api: string, ffmpeg: string, logo: string): string[] {
  const json = `-H 'content-type: application/json'`;
  const auth = `-H "authorization: Bearer $TOKEN"`;
  const field = (name: string) => `node -p 'JSON.parse(require("fs").readFileSync(0)).${name}'`;
  return [
    `API=${api}`,
    `curl -s -w '\\n' $API/auth/signup ${json} -d '{"username":"pilot1","email":"pilot1@example.com","password1":"Secret123","password2":"Secret123"}'`,
    `TOKEN=$(curl -s $API/auth/login ${json} -d '{"username":"pilot1","password":"Secret123"}' | ${field('access_token')})`,
    // The platform's own minimal ffmpeg has no test sources (lavfi): the clip is the league logo, turning.
    `${ffmpeg} -nostdin -y -v error -i ${logo} -filter_complex '[0:v]scale=640:360,loop=loop=-1:size=1,fps=30,rotate=a=t:c=black,trim=duration=5,format=yuv420p[v];anullsrc=r=48000:cl=stereo,atrim=duration=5[a]' -map '[v]' -map '[a]' -c:v libx264 -c:a aac race.mp4`,
    `curl -s $API/tasks ${auth} ${json} -d "{\\"fileName\\":\\"race.mp4\\",\\"contentType\\":\\"video/mp4\\",\\"size\\":$(stat -c%s race.mp4)}" > task.json`,
    `ID=$(${field('id')} < task.json)`,
    `eval "curl -s -w '%{http_code}\\n' $(node -p 'const t=require("./task.json"); Object.entries(t.upload.fields).map(([k,v])=>"--form-string "+k+"="+JSON.stringify(v)).join(" ")+" -F file=@race.mp4 "+t.upload.url')"`,
    `while S=$(curl -s $API/tasks/$ID ${auth} | ${field('status')}); echo "$S"; case "$S" in awaiting_upload|uploaded|processing) ;; *) false ;; esac; do sleep 2; done`,
    `curl -s -X DELETE $API/tasks/$ID ${auth} -o /dev/null -w '%{http_code}\\n'`,
  ];
}

function banner(stack: LocalStack, ffmpeg: FfmpegSource, stateDir: string, startedIn: number): string {
  const api = stack.urls.api;
  const steps = walkthrough(api, stack.names.ffmpeg, fromRoot('assets/logo/idrl-logo.png')).map(
    (line) => `  ${line}`,
  );
  return `
IDRL video platform, local stack — up in ${(startedIn / 1000).toFixed(1)} s
  Console       ${stack.urls.console}
  API           ${api}   (OpenAPI: ${api}/openapi.json)
  S3            ${stack.s3Endpoint}   bucket ${stack.names.bucket} (IAM-enforcing proxy; s3rver itself: ${stack.urls.s3}, keys S3RVER / S3RVER)
  Cognito       ${stack.urls.cognito}   pool ${stack.names.userPoolId}, client ${stack.names.clientId}
  PostgreSQL    ${stack.urls.database}
  ffmpeg        ${ffmpeg.upstreamVersion} (Debian ${ffmpeg.debianVersion}, built here from bookworm-security)
  State         ${stateDir}   (delete it to start from scratch)

${WALKTHROUGH_HEADING}
${steps.join('\n')}

Dead-letter queue (runbook: docs/operations.md):
  AWS_ENDPOINT_URL_SQS=${stack.urls.console.replace(/\/$/, '')} AWS_ACCESS_KEY_ID=${stack.operatorCredentials.accessKeyId} AWS_SECRET_ACCESS_KEY='${stack.operatorCredentials.secretAccessKey}' DLQ_ARN=${stack.deadLetterQueueArn} npm run redrive -- status

League admins (grant, revoke, list; docs/operations.md, "Moderation"):
  AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER=${stack.cognitoEndpoint} AWS_REGION=${LOCAL_REGION} AWS_ACCESS_KEY_ID=${stack.operatorCredentials.accessKeyId} AWS_SECRET_ACCESS_KEY='${stack.operatorCredentials.secretAccessKey}' USER_POOL_ID=${stack.names.userPoolId} npm run admin -- grant pilot1

Ctrl-C stops everything.
`;
}

async function main(): Promise<void> {
  const startedAt = Date.now();
  // Before any service starts: a fresh machine gets the ffmpeg build's OS packages here, or one line saying how.
  ensureOsPackages('npm start', FFMPEG_BUILD_PACKAGES);
  // Built here rather than inside the synth (the layer's asset), whose output is not shown: a first start prints the
  // build's progress.
  const { source: ffmpeg } = ensureFfmpegBuild();
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
      s3Iam: port('S3_IAM_PORT', 4570),
      cognito: port('COGNITO_PORT', 9229),
    },
    externalDatabaseUrl: process.env.DATABASE_URL?.trim() || undefined,
    context: contextFromEnvironment(process.env),
    retryDelaySeconds: seconds('LOCAL_RETRY_DELAY_SECONDS', 10),
    scheduleCronOverride: process.env.LOCAL_SWEEP_CRON?.trim() || undefined,
    iam: process.env.LOCAL_IAM?.trim() !== 'off',
    perClientLimits: process.env.LOCAL_PER_CLIENT_LIMITS?.trim() !== 'off',
    corsOrigins: (process.env.CORS_ORIGINS ?? '')
      .split(',')
      .map((origin) => origin.trim())
      .filter(Boolean),
    log,
  });

  const shutdown = shutdownHandler({ stop: () => stack.stop(), log, exit: (code) => process.exit(code) });
  process.on('SIGINT', shutdown);
  process.on('SIGTERM', shutdown);
  process.on('SIGHUP', shutdown);

  console.log(banner(stack, ffmpeg, stateDir, Date.now() - startedAt));
}

main().catch((error: unknown) => {
  if (error instanceof OsSetupError || error instanceof FfmpegSourceRefusedError) {
    console.error(error.message); // one line that already names the command and what to run
  } else if (error instanceof LocalStackConfigError) {
    console.error(`npm start: ${error.message}`);
  } else {
    console.error('npm start: the local stack failed to start.', error);
  }
  process.exit(1);
});
