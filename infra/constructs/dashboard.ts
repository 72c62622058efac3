import { Duration, Stack } from 'aws-cdk-lib';
import type * as apigwv2 from 'aws-cdk-lib/aws-apigatewayv2';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as logs from 'aws-cdk-lib/aws-logs';
import type * as rds from 'aws-cdk-lib/aws-rds';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { routes } from '#functions/routes';
import { ALARM_THRESHOLDS, type Alarms } from './alarms';
import { METRICS_NAMESPACE } from './lambda-defaults';

/**
 * The widgets' titles, here so the tests and the runbook (docs/operations.md: every alarm names the widget that
 * shows its cause) name the same ones.
 */
export const WIDGETS = {
  alarms: 'Alarms',
  uploads: 'Uploads, edits and failures',
  failureReasons: 'Failures by reason (worker log)',
  editDuration: 'Edit duration',
  uploadToProcessed: 'Message sent → processed',
  queue: 'Queue age and DLQ depth',
  api: 'API requests, 4xx and 5xx',
  apiErrorsByRoute: 'API 4xx and 5xx by route (access log)',
  apiLatencyByRoute: 'API latency by route (access log)',
  votes: 'Votes per minute (access log)',
  sweeper: 'Sweeper runs and errors',
  recoveries: 'Sweeper recoveries (sweeper logs)',
  database: 'Database free storage',
} as const;

/** The widget that shows each alarm's cause (by the alarm's construct id), as the runbook names it. */
export const ALARM_WIDGETS: Readonly<Record<string, string>> = {
  DeadLetterMessages: WIDGETS.queue,
  ViewsDeadLetterMessages: WIDGETS.queue,
  OldestUpload: WIDGETS.queue,
  SweepFailed: WIDGETS.sweeper,
  ApiServerErrorRate: WIDGETS.api,
  DatabaseFreeStorage: WIDGETS.database,
};

export interface DashboardProps {
  readonly alarms: Alarms;
  readonly queue: sqs.IQueue;
  readonly deadLetterQueue: sqs.IQueue;
  /** The views queue's DLQ: its depth beside the uploads' DLQ. */
  readonly viewsDeadLetterQueue: sqs.IQueue;
  readonly httpApi: apigwv2.IHttpApi;
  /** The HTTP API stage's access log group (one JSON object per request: routeKey, status, latencyMs). */
  readonly accessLogs: logs.ILogGroup;
  /** The function that logs `Video failed` lines (the ffmpeg worker; it also validates for MediaConvert). */
  readonly worker: lambda.Function;
  /** The Powertools service names whose `VideosProcessed`/`VideosFailed` count edits (the worker's, MediaConvert's completion). */
  readonly editServices: readonly string[];
  /** The sweeper's halves: the schedule's target outside the VPC and the sweep inside it. */
  readonly sweepRunner: lambda.Function;
  readonly sweep: lambda.Function;
  /** The RDS instance (default option); absent on the serverless option, whose storage grows by itself. */
  readonly databaseInstance: rds.IDatabaseInstance | undefined;
}

const PERIOD = Duration.minutes(5);

/** A Powertools metric (EMF: the `service` dimension is POWERTOOLS_SERVICE_NAME). */
function platformMetric(
  metricName: string,
  service: string,
  statistic: string,
  label: string,
): cloudwatch.Metric {
  return new cloudwatch.Metric({
    namespace: METRICS_NAMESPACE,
    metricName,
    dimensionsMap: { service },
    statistic,
    period: PERIOD,
    label,
  });
}

/** The vote route's key as the access log writes it (`$context.routeKey`). */
function voteRouteKey(): string {
  const vote = routes.find((route) => route.name === 'vote');
  if (vote === undefined) throw new Error('No vote route in functions/routes.ts');
  return `${vote.method} ${vote.path}`;
}

/**
 * One CloudWatch dashboard for the operator (docs/operations.md, "Dashboard"): what the platform did and where it
 * hurts, from the metrics the functions publish (Powertools EMF, namespace IDRL), the AWS services' own metrics,
 * and Logs Insights queries over the logs for what would otherwise need a custom metric per route or per reason.
 */
export class Dashboard extends Construct {
  readonly dashboard: cloudwatch.Dashboard;

  constructor(scope: Construct, id: string, props: DashboardProps) {
    super(scope, id);
    const { alarms } = props;
    this.dashboard = new cloudwatch.Dashboard(this, 'Dashboard', {
      dashboardName: `${Stack.of(this).stackName}-operations`,
      defaultInterval: Duration.hours(24),
    });
    const edits = (metricName: string, label: string) =>
      props.editServices.map((service) =>
        platformMetric(metricName, service, 'Sum', `${label} (${service})`),
      );
    const percentiles = (metricName: string, service: string) =>
      ['p50', 'p95'].map((statistic) => platformMetric(metricName, service, statistic, statistic));
    const [editService] = props.editServices;
    if (editService === undefined) throw new Error('The dashboard needs the service that edits');

    this.dashboard.addWidgets(
      new cloudwatch.AlarmStatusWidget({
        title: WIDGETS.alarms,
        width: 24,
        height: 3,
        alarms: alarms.all,
      }),
    );
    this.dashboard.addWidgets(
      new cloudwatch.GraphWidget({
        title: WIDGETS.uploads,
        width: 12,
        left: [
          props.queue.metricNumberOfMessagesSent({
            period: PERIOD,
            statistic: 'Sum',
            label: 'Upload notifications and re-queues sent to the queue',
          }),
          ...edits('VideosProcessed', 'Edits'),
          ...edits('VideosFailed', 'Failures'),
        ],
      }),
      new cloudwatch.LogQueryWidget({
        title: WIDGETS.failureReasons,
        width: 12,
        logGroupNames: [props.worker.logGroup.logGroupName],
        view: cloudwatch.LogQueryVisualizationType.TABLE,
        queryLines: [
          'filter message = "Video failed"',
          'stats count(*) as failures by outcome.failureKind, outcome.reason',
          'sort failures desc',
        ],
      }),
    );
    this.dashboard.addWidgets(
      new cloudwatch.GraphWidget({
        title: WIDGETS.editDuration,
        width: 12,
        left: percentiles('ProcessingSeconds', editService),
        leftYAxis: { label: 'seconds', showUnits: false, min: 0 },
      }),
      new cloudwatch.GraphWidget({
        title: WIDGETS.uploadToProcessed,
        width: 12,
        left: percentiles('SentToProcessedSeconds', editService),
        leftYAxis: { label: 'seconds', showUnits: false, min: 0 },
      }),
    );
    this.dashboard.addWidgets(
      new cloudwatch.GraphWidget({
        title: WIDGETS.queue,
        width: 24,
        left: [
          props.queue.metricApproximateAgeOfOldestMessage({
            period: PERIOD,
            statistic: 'Maximum',
            label: 'Oldest upload waiting (s)',
          }),
        ],
        leftAnnotations: [{ value: ALARM_THRESHOLDS.oldestMessageSeconds, label: 'OldestUpload alarm' }],
        right: [
          props.deadLetterQueue.metricApproximateNumberOfMessagesVisible({
            period: PERIOD,
            statistic: 'Maximum',
            label: 'Messages in the DLQ',
          }),
          props.viewsDeadLetterQueue.metricApproximateNumberOfMessagesVisible({
            period: PERIOD,
            statistic: 'Maximum',
            label: 'Plays in the views DLQ',
          }),
        ],
        rightYAxis: { min: 0 },
      }),
    );
    this.dashboard.addWidgets(
      new cloudwatch.GraphWidget({
        title: WIDGETS.api,
        width: 12,
        left: [
          props.httpApi.metricCount({ period: PERIOD, statistic: 'Sum', label: 'Requests' }),
          props.httpApi.metricClientError({ period: PERIOD, statistic: 'Sum', label: '4xx' }),
          props.httpApi.metricServerError({ period: PERIOD, statistic: 'Sum', label: '5xx' }),
        ],
        right: [alarms.serverErrorAlarm.metric],
        rightAnnotations: [{ value: ALARM_THRESHOLDS.serverErrorPercent, label: 'ApiServerErrorRate alarm' }],
      }),
    );
    this.dashboard.addWidgets(
      new cloudwatch.LogQueryWidget({
        title: WIDGETS.apiErrorsByRoute,
        width: 12,
        logGroupNames: [props.accessLogs.logGroupName],
        view: cloudwatch.LogQueryVisualizationType.TABLE,
        queryLines: [
          'filter status like /^[45]/',
          'stats count(*) as answers by routeKey, status',
          'sort answers desc',
        ],
      }),
      new cloudwatch.LogQueryWidget({
        title: WIDGETS.apiLatencyByRoute,
        width: 12,
        logGroupNames: [props.accessLogs.logGroupName],
        view: cloudwatch.LogQueryVisualizationType.TABLE,
        queryLines: [
          'stats count(*) as requests, pct(latencyMs, 50) as p50ms, pct(latencyMs, 95) as p95ms by routeKey',
          'sort requests desc',
        ],
      }),
    );
    this.dashboard.addWidgets(
      new cloudwatch.LogQueryWidget({
        title: WIDGETS.votes,
        width: 12,
        logGroupNames: [props.accessLogs.logGroupName],
        view: cloudwatch.LogQueryVisualizationType.LINE,
        queryLines: [
          `filter routeKey = "${voteRouteKey()}" and status = "201"`,
          'stats count(*) as votes by bin(1m)',
        ],
      }),
      new cloudwatch.GraphWidget({
        title: WIDGETS.sweeper,
        width: 12,
        left: [
          props.sweepRunner.metricInvocations({
            period: PERIOD,
            statistic: 'Sum',
            label: 'Runs (with retries)',
          }),
          props.sweepRunner.metricErrors({
            period: PERIOD,
            statistic: 'Sum',
            label: 'Failed runs (RunSweep)',
          }),
          props.sweep.metricErrors({
            period: PERIOD,
            statistic: 'Sum',
            label: 'Failed sweeps (SweepFunction)',
          }),
        ],
      }),
    );
    this.dashboard.addWidgets(
      new cloudwatch.LogQueryWidget({
        title: WIDGETS.recoveries,
        width: props.databaseInstance === undefined ? 24 : 12,
        logGroupNames: [props.sweepRunner.logGroup.logGroupName, props.sweep.logGroup.logGroupName],
        view: cloudwatch.LogQueryVisualizationType.TABLE,
        queryLines: [
          'filter message in ["Unrecorded uploads queued again", "Unrecorded uploads failed", "Stalled tasks failed", "Interrupted deletes finished", "Abandoned uploads expired"]',
          'stats count(*) as runs by message, bin(1h)',
        ],
      }),
      ...(props.databaseInstance === undefined
        ? []
        : [
            new cloudwatch.GraphWidget({
              title: WIDGETS.database,
              width: 12,
              left: [
                props.databaseInstance.metricFreeStorageSpace({
                  period: PERIOD,
                  statistic: 'Minimum',
                  label: 'Free storage (bytes)',
                }),
              ],
              leftAnnotations: [
                { value: ALARM_THRESHOLDS.freeStorageBytes, label: 'DatabaseFreeStorage alarm' },
              ],
            }),
          ]),
    );
  }
}
