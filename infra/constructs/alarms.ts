import { Duration, Validations } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cloudwatchActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as snsSubscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';

export interface AlarmsProps {
  readonly deadLetterQueue: sqs.IQueue;
  /** Where alarm notifications are mailed (the subscription must be confirmed once). @default - no subscription */
  readonly alarmEmail?: string;
}

/** Operational alarms, published to one SNS topic. */
export class Alarms extends Construct {
  readonly topic: sns.Topic;
  readonly deadLetterAlarm: cloudwatch.Alarm;

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
    if (props.alarmEmail)
      this.topic.addSubscription(new snsSubscriptions.EmailSubscription(props.alarmEmail));

    // A message in the DLQ is an upload that failed three times: someone must look, so any is too many.
    this.deadLetterAlarm = new cloudwatch.Alarm(this, 'DeadLetterMessages', {
      alarmDescription: 'Uploads that the worker failed to process after every retry are waiting in the DLQ',
      metric: props.deadLetterQueue.metricApproximateNumberOfMessagesVisible({
        period: Duration.minutes(5),
        statistic: 'Maximum',
      }),
      threshold: 0,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    this.deadLetterAlarm.addAlarmAction(new cloudwatchActions.SnsAction(this.topic));
  }
}
