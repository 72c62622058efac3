import { Duration } from 'aws-cdk-lib';
import type * as logs from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import { PROCESSED_PREFIX, UPLOADS_PREFIX } from '#core/object-keys';
import type { Database } from './database';
import { InvokedFunction } from './invoked-function';
import { grantWithEnvironment } from './lambda-defaults';
import type { Network } from './network';
import type { Storage } from './storage';

/** The purge's reserved concurrency: its share of the database connection budget (infra/stack.ts). */
export const PURGE_ACCOUNT_CONCURRENCY = 2;

/** What the caller does besides waiting for the purge: three Cognito calls. */
const CALLER_OVERHEAD = Duration.seconds(5);

export interface AccountPurgeProps {
  readonly network: Network;
  readonly database: Database;
  readonly storage: Storage;
  /**
   * Reserve {@link PURGE_ACCOUNT_CONCURRENCY}, as the database routes reserve theirs; false where the account's
   * concurrency limit leaves nothing to reserve (databaseRouteReservedConcurrency 0). @default true
   */
  readonly reserveConcurrency?: boolean;
  /** @default RetentionDays.ONE_MONTH */
  readonly logRetention?: logs.RetentionDays;
}

/**
 * The in-VPC half of account deletion (docs/api.md, "Deleting an account"): the database is reachable only
 * inside the VPC and Cognito only outside it, so DELETE /api/auth/me (outside) invokes this function
 * synchronously for the tasks, objects, votes and rows, then deletes the Cognito user itself. No endpoint, no NAT.
 * Its timeout is a database route's (room for a serverless database's resume) less the caller's own work, so the
 * caller outlives the purge and can still report its outcome within the API's limit.
 */
export class AccountPurge extends InvokedFunction {
  constructor(scope: Construct, id: string, props: AccountPurgeProps) {
    super(scope, id, {
      network: props.network,
      database: props.database,
      entry: 'functions/ops/purge-account.ts',
      serviceName: 'idrl-accounts',
      description: "Deletes a pilot's tasks, objects, votes and rows (invoked by DELETE /api/auth/me)",
      reservedConcurrency: (props.reserveConcurrency ?? true) ? PURGE_ACCOUNT_CONCURRENCY : undefined,
      callerOverhead: CALLER_OVERHEAD,
      logRetention: props.logRetention,
    });
    grantWithEnvironment(
      this.function,
      props.storage.objectUse({
        // The pilot's unfinished multipart uploads are aborted with their tasks' objects; each original's recorded
        // version is deleted for good (DeleteObject with VersionId).
        [UPLOADS_PREFIX]: ['s3:DeleteObject', 's3:DeleteObjectVersion', 's3:AbortMultipartUpload'],
        [PROCESSED_PREFIX]: ['s3:DeleteObject'],
      }),
    );
    grantWithEnvironment(this.function, props.storage.multipartListingUse());
  }
}
