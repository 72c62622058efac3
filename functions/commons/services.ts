/**
 * The composition root: ports wired to their adapters, once per function instance. Entry files
 * call these at module scope; each builds only what that function needs.
 */
import { CognitoIdentityProvider } from '#adapters/cognito/identity-provider';
import { PgTaskRepository } from '#adapters/pg/task-repository';
import { S3ObjectStore } from '#adapters/s3/object-store';
import { AuthService } from '#core/auth-service';
import { systemClock } from '#core/ports';
import { TaskService } from '#core/task-service';
import { cognitoClient, databasePool, once, s3Client } from '#commons/clients';
import { identityConfig, storageConfig, taskLimits } from '#commons/config';

export const taskRepository = /* @__PURE__ */ once(() => new PgTaskRepository(databasePool()));

export const objectStore = /* @__PURE__ */ once(() => new S3ObjectStore(s3Client(), storageConfig().bucket));

export const taskService = /* @__PURE__ */ once(
  () =>
    new TaskService({
      repository: taskRepository(),
      store: objectStore(),
      clock: systemClock,
      limits: taskLimits(),
    }),
);

export const authService = /* @__PURE__ */ once(() => {
  const { userPoolId, clientId } = identityConfig();
  return new AuthService(new CognitoIdentityProvider(cognitoClient(), userPoolId, clientId));
});
