/**
 * The composition root: ports wired to their adapters. Each `get…()` is a memoised getter: the
 * first call builds the instance (and what it needs), later calls return that same instance for
 * the life of the function instance. Entry files call them at module scope; each builds only what
 * that function needs.
 */
import { CognitoIdentityProvider } from '#adapters/cognito/identity-provider';
import { LambdaAccountPurger } from '#adapters/lambda/account-purger';
import { LambdaEmailCodes } from '#adapters/lambda/email-codes';
import { LambdaPilotStanding } from '#adapters/lambda/pilot-standing';
import { LambdaRetryTransitions, LambdaTaskSweep } from '#adapters/lambda/task-functions';
import { PgAccountRepository } from '#adapters/pg/account-repository';
import { PgClientRequestCounter } from '#adapters/pg/client-request-counter';
import { PgEmailCodeRepository } from '#adapters/pg/email-code-repository';
import { PgGalleryRepository } from '#adapters/pg/gallery-repository';
import { PgModerationRepository } from '#adapters/pg/moderation-repository';
import { PgTaskRepository } from '#adapters/pg/task-repository';
import { S3MultipartUploads } from '#adapters/s3/multipart-uploads';
import { S3ObjectStore } from '#adapters/s3/object-store';
import { SqsUploadQueue } from '#adapters/sqs/upload-queue';
import { SqsViewQueue } from '#adapters/sqs/view-queue';
import { PgViewRepository } from '#adapters/pg/view-repository';
import { AccountPurge, AccountService } from '#core/account-deletion';
import { AuthService } from '#core/auth-service';
import { ORIGIN_VERIFY_VARIABLE } from '#core/edge-origin';
import { EmailCodeService, EmailVerificationService } from '#core/email-verification';
import { GalleryService, VotingService } from '#core/gallery-service';
import { ModerationService, PilotStandingService, ReportService } from '#core/moderation';
import { PerClientLimit } from '#core/per-client-limit';
import { systemClock } from '#core/ports';
import { TaskRetryService } from '#core/task-retry';
import { TaskService } from '#core/task-service';
import { ViewCounter, ViewReporter } from '#core/views';
import {
  cognitoClient,
  databasePool,
  databaseSettings,
  lambdaClient,
  once,
  s3Client,
  sqsClient,
} from '#commons/clients';
import {
  identityConfig,
  invokedFunctionName,
  leagueSeasonStarts,
  storageConfig,
  taskLimits,
  uploadQueueConfig,
  viewReportConfig,
} from '#commons/config';
import { logger } from '#commons/logger';
import { currentTraceHeader } from '#commons/tracing';
import { PER_CLIENT_REFUSAL_MESSAGE, perClientRules } from '#functions/routes';

/** How every repository's statements treat a pausing database (the same settings for all of them). */
const queryOptions = /* @__PURE__ */ once(() => {
  const { autoPause, resumeWaitMs } = databaseSettings();
  return { autoPause, resume: { waitMs: resumeWaitMs } };
});

export const getTaskRepository = /* @__PURE__ */ once(
  () => new PgTaskRepository(databasePool(), queryOptions()),
);

export const getObjectStore = /* @__PURE__ */ once(
  () => new S3ObjectStore(s3Client(), storageConfig().bucket, systemClock, currentTraceHeader),
);

export const getMultipartUploads = /* @__PURE__ */ once(
  () => new S3MultipartUploads(s3Client(), storageConfig().bucket, currentTraceHeader),
);

export const getTaskService = /* @__PURE__ */ once(
  () =>
    new TaskService({
      repository: getTaskRepository(),
      store: getObjectStore(),
      uploads: getMultipartUploads(),
      clock: systemClock,
      limits: taskLimits(),
    }),
);

const getGalleryRepository = /* @__PURE__ */ once(
  () => new PgGalleryRepository(databasePool(), queryOptions()),
);

/** The gallery signs media URLs: the bucket's settings are needed. */
export const getGalleryService = /* @__PURE__ */ once(
  () => new GalleryService({ repository: getGalleryRepository(), store: getObjectStore() }),
);

/** Votes and rankings sign nothing: the stack gives their functions no bucket, and they never ask for one. */
export const getVotingService = /* @__PURE__ */ once(
  () =>
    new VotingService({
      repository: getGalleryRepository(),
      clock: systemClock,
      seasonStarts: leagueSeasonStarts(),
    }),
);

/**
 * The voting rule of functions/routes.ts counted by the vote and withdraw functions themselves (docs/infra.md,
 * "Without WAF: the API's own count"), with or without WAF in front. The addresses' HMAC key is the origin
 * secret the stack gives every API function: stable for the stack's life, never in a response or a log.
 */
export const getVotingLimit = /* @__PURE__ */ once(() => {
  const rule = perClientRules.find((candidate) => candidate.name === 'voting');
  if (rule === undefined) throw new Error('functions/routes.ts has no per-client rule named voting');
  return new PerClientLimit({
    rule,
    counter: new PgClientRequestCounter(databasePool(), queryOptions()),
    clock: systemClock,
    key: process.env[ORIGIN_VERIFY_VARIABLE] ?? '',
    message: PER_CLIENT_REFUSAL_MESSAGE,
  });
});

const getIdentityProvider = /* @__PURE__ */ once(() => {
  const { userPoolId, clientId } = identityConfig();
  return new CognitoIdentityProvider(cognitoClient(), userPoolId, clientId);
});

export const getAuthService = /* @__PURE__ */ once(() => new AuthService(getIdentityProvider()));

/** Outside the VPC: Cognito directly, the codes through the in-VPC email-codes function. */
export const getEmailVerificationService = /* @__PURE__ */ once(
  () =>
    new EmailVerificationService(
      getIdentityProvider(),
      new LambdaEmailCodes(lambdaClient(), invokedFunctionName('EMAIL_CODES_FUNCTION')),
    ),
);

/** Signup: the account, then its first code (a code not sent is logged; the pilot asks for another). */
export const getSignupService = /* @__PURE__ */ once(() => {
  const verification = getEmailVerificationService();
  return new AuthService(getIdentityProvider(), {
    send: (caller, email) => verification.sendCode(caller, email),
    onFailure: (error) => {
      logger.warn('The verification code of a new account was not sent', { error });
    },
  });
});

/** Inside the VPC: the email-codes function's own service. */
export const getEmailCodeService = /* @__PURE__ */ once(
  () => new EmailCodeService(new PgEmailCodeRepository(databasePool(), queryOptions()), systemClock),
);

/** Outside the VPC: Cognito directly, the database through the purge function. */
export const getAccountService = /* @__PURE__ */ once(
  () =>
    new AccountService(
      getIdentityProvider(),
      new LambdaAccountPurger(lambdaClient(), invokedFunctionName('PURGE_ACCOUNT_FUNCTION')),
    ),
);

/** Inside the VPC: the purge function's own service. */
export const getAccountPurge = /* @__PURE__ */ once(
  () =>
    new AccountPurge({
      repository: new PgAccountRepository(databasePool(), queryOptions()),
      store: getObjectStore(),
      uploads: getMultipartUploads(),
    }),
);

/** Outside the VPC: the upload queue, which SQS SendMessage reaches only from there. */
const getUploadQueue = /* @__PURE__ */ once(() => {
  const { queueUrl, bucket } = uploadQueueConfig();
  return new SqsUploadQueue(sqsClient(), { queueUrl, bucket, clock: systemClock });
});

/** Outside the VPC: the retry route, with the transition inside it. */
export const getTaskRetryService = /* @__PURE__ */ once(
  () =>
    new TaskRetryService({
      transitions: new LambdaRetryTransitions(
        lambdaClient(),
        invokedFunctionName('RETRY_TRANSITION_FUNCTION'),
      ),
      queue: getUploadQueue(),
    }),
);

/** Outside the VPC: the scheduled sweep's two halves, the sweep inside the VPC and the queue. */
export const getSweepRun = /* @__PURE__ */ once(() => ({
  sweep: new LambdaTaskSweep(lambdaClient(), invokedFunctionName('SWEEP_FUNCTION')),
  queue: getUploadQueue(),
}));

/** Outside the VPC: the record-view route, which only queues the play. */
export const getViewReporter = /* @__PURE__ */ once(() => {
  const { queueUrl, viewerSecret } = viewReportConfig();
  return new ViewReporter({
    queue: new SqsViewQueue(sqsClient(), queueUrl),
    clock: systemClock,
    viewerSecret,
  });
});

/** Inside the VPC: the views queue's consumer. */
export const getViewCounter = /* @__PURE__ */ once(
  () =>
    new ViewCounter({ repository: new PgViewRepository(databasePool(), queryOptions()), clock: systemClock }),
);
const getModerationRepository = /* @__PURE__ */ once(
  () => new PgModerationRepository(databasePool(), queryOptions()),
);

/** Inside the VPC: pilots' reports. */
export const getReportService = /* @__PURE__ */ once(() => new ReportService(getModerationRepository()));

/** Inside the VPC: the admins' queue, hiding, annulling, the audit log, and the suspension's records. */
export const getModerationService = /* @__PURE__ */ once(
  () => new ModerationService(getModerationRepository()),
);

/** Outside the VPC: Cognito directly, the database through the pilot-standing function. */
export const getPilotStandingService = /* @__PURE__ */ once(
  () =>
    new PilotStandingService(
      getIdentityProvider(),
      new LambdaPilotStanding(lambdaClient(), invokedFunctionName('PILOT_STANDING_FUNCTION')),
    ),
);

/** The authorizer: an admin's membership of the league's group, read from Cognito at that moment. */
export const getAdminCheck = /* @__PURE__ */ once(() => {
  const identity = getIdentityProvider();
  return (username: string) => identity.groupsOf(username);
});
