import { Duration } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import type { InvokedFunctionVariable } from '#commons/config';
import type { Database } from './database';
import { FunctionWithLogGroup, grantWithEnvironment, type ResourceUse } from './lambda-defaults';
import type { Network } from './network';

/** API Gateway's integration limit (29 s) less a second: no API function may wait longer than the API does. */
const MAX_API_TIMEOUT = Duration.seconds(28);

export interface InvokedFunctionProps {
  readonly network: Network;
  readonly database: Database;
  /** The entry file, functions/ops/<name>.ts, written with invocableHandler (functions/commons/invocable.ts). */
  readonly entry: string;
  readonly description: string;
  readonly serviceName: string;
  /** Its share of the database connection budget (infra/stack.ts); undefined: none reserved. */
  readonly reservedConcurrency?: number;
  /**
   * What the invoking function does besides waiting: its timeout is this function's plus this. An API route's
   * invoked function gets a database route's timeout less this, so the route still answers within the API's limit.
   */
  readonly callerOverhead: Duration;
  /** An invoked function that no API route waits for. @default - a database route's timeout, bounded for the API */
  readonly timeout?: Duration;
  /** @default RetentionDays.ONE_MONTH */
  readonly logRetention?: logs.RetentionDays;
}

/**
 * A function inside the VPC that a function outside it invokes synchronously (docs/architecture.md, "The VPC
 * boundary"): the database is reachable only inside, SQS, Cognito and Lambda only outside, and neither a NAT
 * gateway nor an interface endpoint is paid for. Only the functions given {@link invokerUse} may invoke it.
 */
export class InvokedFunction extends Construct {
  readonly function: FunctionWithLogGroup;
  /** Timeout of a function that waits for this one. */
  readonly callerTimeout: Duration;

  constructor(scope: Construct, id: string, props: InvokedFunctionProps) {
    super(scope, id);
    const timeout =
      props.timeout ??
      Duration.seconds(
        Math.min(
          props.database.routeTimeout.toSeconds(),
          MAX_API_TIMEOUT.toSeconds() - props.callerOverhead.toSeconds(),
        ),
      );
    this.function = new FunctionWithLogGroup(this, 'Function', {
      entry: props.entry,
      serviceName: props.serviceName,
      description: props.description,
      vpc: props.network.vpc,
      securityGroups: [props.network.databaseClientSecurityGroup],
      reservedConcurrentExecutions: props.reservedConcurrency,
      timeout,
      logRetention: props.logRetention,
    });
    grantWithEnvironment(this.function, props.database.appUse());
    this.callerTimeout = Duration.seconds(timeout.toSeconds() + props.callerOverhead.toSeconds());
  }

  /** `variable` naming this function, and lambda:InvokeFunction on it alone (no version or alias wildcard). */
  invokerUse(variable: InvokedFunctionVariable): ResourceUse {
    return {
      environment: { [variable]: this.function.functionName },
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
