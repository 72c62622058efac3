import { Duration } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import type * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import type { Database } from './database';
import { FunctionWithLogGroup, grantWithEnvironment } from './lambda-defaults';
import type { Network } from './network';

export interface SweeperProps {
  readonly network: Network;
  readonly database: Database;
  /** @default Duration.hours(1) */
  readonly interval?: Duration;
  /** @default RetentionDays.ONE_MONTH */
  readonly logRetention?: logs.RetentionDays;
}

/** Hourly: tasks whose upload never arrived within the upload window become `failed` (SPEC §3). */
export class Sweeper extends Construct {
  readonly function: FunctionWithLogGroup;
  readonly rule: events.Rule;

  constructor(scope: Construct, id: string, props: SweeperProps) {
    super(scope, id);
    this.function = new FunctionWithLogGroup(this, 'ExpireUploads', {
      entry: 'functions/ops/expire-uploads.ts',
      serviceName: 'idrl-ops',
      description: 'Fails tasks whose upload never arrived',
      timeout: Duration.seconds(60),
      vpc: props.network.vpc,
      securityGroups: [props.network.databaseClientSecurityGroup],
      // One run at a time, one database connection at most.
      reservedConcurrentExecutions: 1,
      logRetention: props.logRetention,
    });
    grantWithEnvironment(this.function, props.database.appUse());

    this.rule = new events.Rule(this, 'Schedule', {
      description: 'Expire abandoned uploads',
      schedule: events.Schedule.rate(props.interval ?? Duration.hours(1)),
      targets: [new targets.LambdaFunction(this.function, { retryAttempts: 2 })],
    });
  }
}
