/**
 * The composition root: ports wired to their adapters. Each `get…()` is a memoised getter: the
 * first call builds the instance (and what it needs), later calls return that same instance for
 * the life of the function instance. Entry files call them at module scope; each builds only what
 * that function needs.
 */
import { CognitoIdentityProvider } from '#adapters/cognito/identity-provider';
import { LambdaAccountPurger } from '#adapters/lambda/account-purger';
import { PgAccountRepository } from '#adapters/pg/account-repository';
import { PgGalleryRepository } from '#adapters/pg/gallery-repository';
import { PgTaskRepository } from '#adapters/pg/task-repository';
import { S3MultipartUploads } from '#adapters/s3/multipart-uploads';
import { S3ObjectStore } from '#adapters/s3/object-store';
import { AccountPurge, AccountService } from '#core/account-deletion';
import { AuthService } from '#core/auth-service';
import { GalleryService } from '#core/gallery-service';
import { systemClock } from '#core/ports';
import { TaskService } from '#core/task-service';
import {
  cognitoClient,
  databasePool,
  databaseSettings,
  lambdaClient,
  once,
  s3Client,
} from '#commons/clients';
import { accountDeletionConfig, identityConfig, storageConfig, taskLimits } from '#commons/config';

/** How every repository's statements treat a pausing database (the same settings for all of them). */
const queryOptions = /* @__PURE__ */ once(() => {
  const { autoPause, resumeWaitMs } = databaseSettings();
  return { autoPause, resume: { waitMs: resumeWaitMs } };
});

export const getTaskRepository = /* @__PURE__ */ once(
  () => new PgTaskRepository(databasePool(), queryOptions()),
);

export const getObjectStore = /* @__PURE__ */ once(
  () => new S3ObjectStore(s3Client(), storageConfig().bucket),
);

export const getMultipartUploads = /* @__PURE__ */ once(
  () => new S3MultipartUploads(s3Client(), storageConfig().bucket),
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

export const getGalleryService = /* @__PURE__ */ once(
  () =>
    new GalleryService({
      repository: new PgGalleryRepository(databasePool(), queryOptions()),
      store: getObjectStore(),
    }),
);

const getIdentityProvider = /* @__PURE__ */ once(() => {
  const { userPoolId, clientId } = identityConfig();
  return new CognitoIdentityProvider(cognitoClient(), userPoolId, clientId);
});

export const getAuthService = /* @__PURE__ */ once(() => new AuthService(getIdentityProvider()));

/** Outside the VPC: Cognito directly, the database through the purge function. */
export const getAccountService = /* @__PURE__ */ once(
  () =>
    new AccountService(
      getIdentityProvider(),
      new LambdaAccountPurger(lambdaClient(), accountDeletionConfig().purgeFunctionName),
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
