import { Annotations, Duration, Validations } from 'aws-cdk-lib';
import type * as apigwv2 from 'aws-cdk-lib/aws-apigatewayv2';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cloudwatchActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as rds from 'aws-cdk-lib/aws-rds';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as snsSubscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';

/** A scheduled run and Lambda's two retries of an asynchronous invocation. */
const SWEEP_ATTEMPTS = 3;

/** Alarm thresholds, here so the tests and docs/infra.md name the same numbers. */
export const ALARM_THRESHOLDS = {
  /** Free database storage below this (storage autoscaling grows it only up to its maximum). */
  freeStorageBytes: 2 * 1024 ** 3,
  /** Share of API requests answered 5xx over 5 minutes, in percent. */
  serverErrorPercent: 5,
  /** Age of the oldest upload waiting in the queue: far beyond a few worker timeouts means stuck. */
  oldestMessageSeconds: 1800,
} as const;

export interface AlarmsProps {
  readonly deadLetterQueue: sqs.IQueue;
  /** The views queue's DLQ (infra/constructs/views.ts): plays the consumer failed to count. */
  readonly viewsDeadLetterQueue: sqs.IQueue;
  /** The upload queue whose oldest message must not grow old. */
  readonly queue: sqs.IQueue;
  readonly httpApi: apigwv2.IHttpApi;
  /** The RDS instance (default option); absent on the serverless option, whose storage grows by itself. */
  readonly databaseInstance: rds.IDatabaseInstance | undefined;
  /** The sweeper's schedule target (functions/ops/run-sweep.ts): recovery depends on it running. */
  readonly sweepRunner: lambda.IFunction;
  /** How often the sweeper runs: one failed run in one such period alarms. */
  readonly sweepInterval: Duration;
  /** Where alarm notifications are mailed (the subscription must be confirmed once). @default - no subscription, and a synth warning */
  readonly alarmEmail?: string;
}

/** Operational alarms, published to one SNS topic. */
export class Alarms extends Construct {
  readonly topic: sns.Topic;
  readonly deadLetterAlarm: cloudwatch.Alarm;
  readonly viewsDeadLetterAlarm: cloudwatch.Alarm;
  /** RDS only: Aurora's cluster volume grows by itself, so the serverless option has no such alarm. */
  readonly freeStorageAlarm: cloudwatch.Alarm | undefined;
  readonly serverErrorAlarm: cloudwatch.Alarm;
  readonly oldestMessageAlarm: cloudwatch.Alarm;
  readonly sweepFailedAlarm: cloudwatch.Alarm;
  /** Every alarm of this configuration. */
  readonly all: cloudwatch.Alarm[];

  constructor(scope: Construct, id: string, props: AlarmsProps) {
    super(scope, id);

    this.topic = new sns.Topic(this, 'Topic', {
      displayName: 'IDRL video platform alarms',
      enforceSSL: true,
    });
    Validations.of(this.topic).acknowledge({
      id: 'AwsSolutions-SNS2',
      reason:
        'Alarm notifications carry no customer data. CloudWatch cannot publish to a topic encrypted with the AWS-managed SNS key, and a customer key would cost $1/month for nothing to protect.',
    });
    if (props.alarmEmail) {
      this.topic.addSubscription(new snsSubscriptions.EmailSubscription(props.alarmEmail));
    } else {
      // Alarms nobody receives protect nothing: say so at every synth and deploy.
      Annotations.of(this).addWarningV2(
        'idrl:alarms-not-mailed',
        'No alarmEmail given: the alarms (DLQs, database free storage, API 5xx rate, oldest upload, failed sweep) notify an SNS topic nobody is subscribed to. Deploy with -c alarmEmail=you@example.com.',
      );
    }
    const notify = new cloudwatchActions.SnsAction(this.topic);
    const fiveMinutes = Duration.minutes(5);

    const anyDeadLetter = (id: string, alarmDescription: string, queue: sqs.IQueue) =>
      new cloudwatch.Alarm(this, id, {
        alarmDescription,
        metric: queue.metricApproximateNumberOfMessagesVisible({ period: fiveMinutes, statistic: 'Maximum' }),
        threshold: 0,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        evaluationPeriods: 1,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      });
    // A message in the DLQ is an upload that failed three times: someone must look, so any is too many.
    this.deadLetterAlarm = anyDeadLetter(
      'DeadLetterMessages',
      'Uploads that the worker failed to process after every retry are waiting in the DLQ',
      props.deadLetterQueue,
    );
    // Plays are worth nothing after a day (the consumer drops older ones), so a dead-lettered play is not work to
    // redrive but a consumer that keeps failing (database unreachable, a broken deploy): the counts have stopped.
    this.viewsDeadLetterAlarm = anyDeadLetter(
      'ViewsDeadLetterMessages',
      'Plays that the views consumer failed to count after every retry are waiting in its DLQ',
      props.viewsDeadLetterQueue,
    );

    this.freeStorageAlarm =
      props.databaseInstance === undefined
        ? undefined
        : new cloudwatch.Alarm(this, 'DatabaseFreeStorage', {
            alarmDescription:
              'PostgreSQL has less than 2 GiB of free storage: autoscaling may have reached maxAllocatedStorage',
            metric: props.databaseInstance.metricFreeStorageSpace({
              period: fiveMinutes,
              statistic: 'Minimum',
            }),
            threshold: ALARM_THRESHOLDS.freeStorageBytes,
            comparisonOperator: cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
            evaluationPeriods: 1,
            // No data means the instance is not reporting: that deserves a look too.
            treatMissingData: cloudwatch.TreatMissingData.BREACHING,
          });

    // A rate, not a count: a busy hour's few 5xx must not page, a quiet hour's every request failing must.
    this.serverErrorAlarm = new cloudwatch.Alarm(this, 'ApiServerErrorRate', {
      alarmDescription: 'More than 5% of API requests answered 5xx for 15 minutes',
      metric: new cloudwatch.MathExpression({
        expression: 'IF(requests > 0, 100 * errors / requests, 0)',
        usingMetrics: {
          errors: props.httpApi.metricServerError({ period: fiveMinutes, statistic: 'Sum' }),
          requests: props.httpApi.metricCount({ period: fiveMinutes, statistic: 'Sum' }),
        },
        period: fiveMinutes,
        label: 'API 5xx (% of requests)',
      }),
      threshold: ALARM_THRESHOLDS.serverErrorPercent,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 3,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });

    this.oldestMessageAlarm = new cloudwatch.Alarm(this, 'OldestUpload', {
      alarmDescription:
        'An upload has waited more than 30 minutes in the queue: the worker is not keeping up or not running',
      metric: props.queue.metricApproximateAgeOfOldestMessage({ period: fiveMinutes, statistic: 'Maximum' }),
      threshold: ALARM_THRESHOLDS.oldestMessageSeconds,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });

    // A failed sweep recovers nothing (and expires nothing): its next run repeats the work, but an outage's
    // unrecorded uploads wait until the cause is fixed. Lambda retries a failed scheduled run twice: only the
    // run and both retries failing is worth a page (one slow database resume is not).
    this.sweepFailedAlarm = new cloudwatch.Alarm(this, 'SweepFailed', {
      alarmDescription:
        'A run of the sweeper and both its retries failed: unrecorded uploads are not queued again and stalled tasks not failed until one succeeds',
      metric: props.sweepRunner.metricErrors({ period: props.sweepInterval, statistic: 'Sum' }),
      threshold: SWEEP_ATTEMPTS - 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    this.all = [
      this.deadLetterAlarm,
      this.viewsDeadLetterAlarm,
      this.freeStorageAlarm,
      this.serverErrorAlarm,
      this.oldestMessageAlarm,
      this.sweepFailedAlarm,
    ].filter((alarm) => alarm !== undefined);
    for (const alarm of this.all) alarm.addAlarmAction(notify);
  }
}
