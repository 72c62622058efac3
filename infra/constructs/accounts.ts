import { Duration } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { PROCESSED_PREFIX, UPLOADS_PREFIX } from '#core/object-keys';
import type { Database } from './database';
import { FunctionWithLogGroup, grantWithEnvironment, type ResourceUse } from './lambda-defaults';
import type { Network } from './network';
import type { Storage } from './storage';

/** The purge's reserved concurrency: its share of the database connection budget (infra/stack.ts). */
export const PURGE_ACCOUNT_CONCURRENCY = 2;

/** API Gateway's integration limit (29 s) less a second: no caller may wait longer than the API does. */
const MAX_CALLER_TIMEOUT = Duration.seconds(28);

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
 */
export class AccountPurge extends Construct {
  readonly function: FunctionWithLogGroup;
  /** Timeout of a function that waits for one purge. */
  readonly callerTimeout: Duration;

  constructor(scope: Construct, id: string, props: AccountPurgeProps) {
    super(scope, id);
    const purgeTimeout = Duration.seconds(
      Math.min(
        props.database.routeTimeout.toSeconds(),
        MAX_CALLER_TIMEOUT.toSeconds() - CALLER_OVERHEAD.toSeconds(),
      ),
    );
    this.function = new FunctionWithLogGroup(this, 'Function', {
      entry: 'functions/ops/purge-account.ts',
      serviceName: 'idrl-accounts',
      description: "Deletes a pilot's tasks, objects, votes and rows (invoked by DELETE /api/auth/me)",
      vpc: props.network.vpc,
      securityGroups: [props.network.databaseClientSecurityGroup],
      reservedConcurrentExecutions:
        (props.reserveConcurrency ?? true) ? PURGE_ACCOUNT_CONCURRENCY : undefined,
      // A database route's timeout (room for a serverless database's resume), less the caller's own work, so
      // the caller outlives the purge and can still report its outcome within the API's limit.
      timeout: purgeTimeout,
      logRetention: props.logRetention,
    });
    grantWithEnvironment(this.function, props.database.appUse());
    grantWithEnvironment(
      this.function,
      props.storage.objectUse({
        // The pilot's unfinished multipart uploads are aborted with their tasks' objects.
        [UPLOADS_PREFIX]: ['s3:DeleteObject', 's3:AbortMultipartUpload'],
        [PROCESSED_PREFIX]: ['s3:DeleteObject'],
      }),
    );
    grantWithEnvironment(this.function, props.storage.multipartListingUse());
    this.callerTimeout = Duration.seconds(purgeTimeout.toSeconds() + CALLER_OVERHEAD.toSeconds());
  }

  /** PURGE_ACCOUNT_FUNCTION and lambda:InvokeFunction on this one function (no version or alias wildcard). */
  invokerUse(): ResourceUse {
    return {
      environment: { PURGE_ACCOUNT_FUNCTION: this.function.functionName },
      grant: (fn) => {
        iam.Grant.addToPrincipal({
          grantee: fn,
          actions: ['lambda:InvokeFunction'],
          resourceArns: [this.function.functionArn],
        });
      },
    };
  }
}
