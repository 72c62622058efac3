import { Match, type Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { ALARM_THRESHOLDS } from '#infra/constructs/alarms';
import { logicalId, synthesize, type Synthesized } from '#test/infra/synth';

// Prepare + Act once per file: synthesizing is the expensive step; each test assesses one behaviour.
let synthesized: Synthesized;
let template: Template;
beforeAll(() => {
  synthesized = synthesize({ alarmEmail: 'ops@example.com' });
  template = synthesized.template;
});

/** The warnings on the alarms construct (Annotations.fromStack would synthesize the stack a second time). */
function warningsOf({ stack }: Synthesized): unknown[] {
  return stack.alarms.node.metadata
    .filter((entry) => entry.type === 'aws:cdk:warning')
    .map((entry): unknown => entry.data);
}

const topicRef = () => ({ Ref: logicalId(synthesized.stack, synthesized.stack.alarms.topic) });

describe('capacity guards', () => {
  it('lets the database volume grow from 20 GiB up to 100 GiB (storage autoscaling)', () => {
    template.hasResourceProperties('AWS::RDS::DBInstance', {
      AllocatedStorage: '20',
      MaxAllocatedStorage: 100,
    });
  });

  it('alarms when PostgreSQL has less than 2 GiB free, or stops reporting', () => {
    const { instance } = synthesized.stack.database;
    if (instance === undefined) throw new Error('the default stack has an RDS instance');
    const instanceId = logicalId(synthesized.stack, instance);
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'AWS/RDS',
      MetricName: 'FreeStorageSpace',
      Dimensions: [{ Name: 'DBInstanceIdentifier', Value: { Ref: instanceId } }],
      Statistic: 'Minimum',
      Period: 300,
      Threshold: 2 * 1024 ** 3,
      ComparisonOperator: 'LessThanThreshold',
      TreatMissingData: 'breaching',
      AlarmActions: [topicRef()],
    });
    expect(ALARM_THRESHOLDS.freeStorageBytes).toBe(2 * 1024 ** 3);
  });

  it('alarms when more than 5% of API requests answer 5xx in three 5-minute periods running', () => {
    const apiId = logicalId(synthesized.stack, synthesized.stack.api.httpApi);
    const metric = (id: string, name: string) => ({
      Id: id,
      MetricStat: {
        Metric: {
          Namespace: 'AWS/ApiGateway',
          MetricName: name,
          Dimensions: [{ Name: 'ApiId', Value: { Ref: apiId } }],
        },
        Period: 300,
        Stat: 'Sum',
      },
      ReturnData: false,
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Metrics: Match.arrayWith([
        Match.objectLike({ Expression: 'IF(requests > 0, 100 * errors / requests, 0)' }),
        metric('errors', '5xx'),
        metric('requests', 'Count'),
      ]),
      Threshold: 5,
      EvaluationPeriods: 3,
      ComparisonOperator: 'GreaterThanThreshold',
      TreatMissingData: 'notBreaching',
      AlarmActions: [topicRef()],
    });
  });

  it('alarms when the oldest upload in the queue is more than 30 minutes old', () => {
    const queueId = logicalId(synthesized.stack, synthesized.stack.storage.queue);
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'AWS/SQS',
      MetricName: 'ApproximateAgeOfOldestMessage',
      Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [queueId, 'QueueName'] } }],
      Statistic: 'Maximum',
      Threshold: 1800,
      ComparisonOperator: 'GreaterThanThreshold',
      AlarmActions: [topicRef()],
    });
  });

  it('alarms when a run of the sweeper and both its retries fail, over its own interval (an hour; a day on serverless)', () => {
    const runnerId = logicalId(synthesized.stack, synthesized.stack.sweeper.runner);
    const alarm = {
      Namespace: 'AWS/Lambda',
      MetricName: 'Errors',
      Dimensions: [{ Name: 'FunctionName', Value: { Ref: runnerId } }],
      Statistic: 'Sum',
      Period: 3600,
      Threshold: 2,
      EvaluationPeriods: 1,
      ComparisonOperator: 'GreaterThanThreshold',
      TreatMissingData: 'notBreaching',
      AlarmActions: [topicRef()],
    };
    template.hasResourceProperties('AWS::CloudWatch::Alarm', alarm);
    const serverless = synthesize({ database: 'serverless', alarmEmail: 'ops@example.com' });
    serverless.template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      ...alarm,
      Dimensions: [
        {
          Name: 'FunctionName',
          Value: { Ref: logicalId(serverless.stack, serverless.stack.sweeper.runner) },
        },
      ],
      Period: 86_400,
      AlarmActions: [{ Ref: logicalId(serverless.stack, serverless.stack.alarms.topic) }],
    });
  });

  it('mails the alarm topic when alarmEmail is given, with no warning', () => {
    template.hasResourceProperties('AWS::SNS::Subscription', {
      Protocol: 'email',
      Endpoint: 'ops@example.com',
    });
    expect(warningsOf(synthesized)).toEqual([]);
  });

  it('warns at synth when no alarmEmail is given', () => {
    const unmailed = synthesize();
    unmailed.template.resourceCountIs('AWS::SNS::Subscription', 0);
    expect(warningsOf(unmailed)).toEqual([
      expect.stringMatching(
        /^No alarmEmail given: the alarms \(.*\) notify an SNS topic nobody is subscribed to\. Deploy with -c alarmEmail=you@example\.com\. \[ack: idrl:alarms-not-mailed\]$/,
      ),
    ]);
  });
});
