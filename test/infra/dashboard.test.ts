import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { ALARM_WIDGETS, WIDGETS } from '#infra/constructs/dashboard';
import { fromRoot } from '#infra/paths';
import { CONFIGURATIONS, synthesize, type Synthesized } from '#test/infra/synth';

interface Widget {
  type: string;
  properties: {
    title: string;
    metrics?: unknown[][];
    alarms?: string[];
    query?: string;
    annotations?: { horizontal?: { label: string; value: number }[] };
  };
}

/** The dashboard's widgets: its body is a Fn::Join whose tokens (ARNs, names, the region) sit inside strings. */
function widgetsOf({ template }: Synthesized): Widget[] {
  const dashboards = Object.values(template.findResources('AWS::CloudWatch::Dashboard'));
  expect(dashboards).toHaveLength(1);
  const body = (dashboards[0]?.Properties as { DashboardBody: { 'Fn::Join': [string, unknown[]] } })
    .DashboardBody;
  const text = body['Fn::Join'][1].map((part) => (typeof part === 'string' ? part : 'TOKEN')).join('');
  return (JSON.parse(text) as { widgets: Widget[] }).widgets;
}

const byTitle = (widgets: Widget[], title: string): Widget => {
  const widget = widgets.find((candidate) => candidate.properties.title === title);
  if (widget === undefined) throw new Error(`No widget "${title}"`);
  return widget;
};

let synthesized: Record<string, Synthesized>;
beforeAll(() => {
  synthesized = Object.fromEntries(
    Object.entries(CONFIGURATIONS).map(([name, props]) => [name, synthesize(props)]),
  );
});

describe('the operations dashboard', () => {
  it('is left out with -c dashboard=false, the idle cost back within its targets (docs/cost.md)', () => {
    const { template: without } = synthesize({ dashboard: false });
    expect(without.findResources('AWS::CloudWatch::Dashboard')).toEqual({});
    const withDashboard = synthesized.default?.template.findResources('AWS::CloudWatch::Dashboard') ?? {};
    expect(Object.keys(withDashboard)).toHaveLength(1);
  });

  it('shows every widget the runbook names, the database one only where there is an RDS instance', () => {
    const titles = (name: string) =>
      widgetsOf(synthesized[name] as Synthesized).map((w) => w.properties.title);
    expect(titles('default').sort()).toEqual(Object.values(WIDGETS).sort());
    expect(titles('database=serverless').sort()).toEqual(
      Object.values(WIDGETS)
        .filter((title) => title !== WIDGETS.database)
        .sort(),
    );
  });

  it('shows the state of every alarm of the stack', () => {
    for (const [name, config] of Object.entries(synthesized)) {
      const alarms = Object.keys(config.template.findResources('AWS::CloudWatch::Alarm'));
      expect({ name, shown: byTitle(widgetsOf(config), WIDGETS.alarms).properties.alarms?.length }).toEqual({
        name,
        shown: alarms.length,
      });
    }
  });

  it('graphs the metrics the worker publishes, by its service, edit time as p50 and p95', () => {
    const widgets = widgetsOf(synthesized.default as Synthesized);
    const metricsOf = (title: string) => JSON.stringify(byTitle(widgets, title).properties.metrics);

    expect(metricsOf(WIDGETS.uploads)).toContain('"IDRL","VideosProcessed","service","idrl-worker"');
    expect(metricsOf(WIDGETS.uploads)).toContain('"IDRL","VideosFailed","service","idrl-worker"');
    expect(metricsOf(WIDGETS.uploads)).toContain('"AWS/SQS","NumberOfMessagesSent"');
    for (const [title, metric] of [
      [WIDGETS.editDuration, 'ProcessingSeconds'],
      [WIDGETS.uploadToProcessed, 'SentToProcessedSeconds'],
    ] as const) {
      expect(metricsOf(title)).toContain(`"IDRL","${metric}","service","idrl-worker"`);
      expect(metricsOf(title)).toContain('"stat":"p50"');
      expect(metricsOf(title)).toContain('"stat":"p95"');
    }
    expect(metricsOf(WIDGETS.queue)).toContain('"AWS/SQS","ApproximateAgeOfOldestMessage"');
    expect(metricsOf(WIDGETS.queue)).toContain('"AWS/SQS","ApproximateNumberOfMessagesVisible"');
    expect(metricsOf(WIDGETS.api)).toContain('"AWS/ApiGateway","5xx"');
    expect(metricsOf(WIDGETS.api)).toContain('"AWS/ApiGateway","4xx"');
    expect(metricsOf(WIDGETS.sweeper)).toContain('"AWS/Lambda","Errors"');
    // With MediaConvert, the completion function records the edits under its own service.
    expect(
      JSON.stringify(
        byTitle(widgetsOf(synthesized['processor=mediaconvert'] as Synthesized), WIDGETS.uploads),
      ),
    ).toContain('"IDRL","VideosProcessed","service","idrl-mediaconvert"');
  });

  it('reads per-route answers, votes, failure reasons and recoveries from the logs with Logs Insights', () => {
    const widgets = widgetsOf(synthesized.default as Synthesized);
    const query = (title: string) => byTitle(widgets, title).properties.query ?? '';

    expect(query(WIDGETS.apiErrorsByRoute)).toContain('stats count(*) as answers by routeKey, status');
    expect(query(WIDGETS.apiLatencyByRoute)).toContain('pct(latencyMs, 95)');
    expect(query(WIDGETS.votes)).toContain(
      'filter routeKey = "POST /api/public/videos/{id}/vote" and status = "201"',
    );
    expect(query(WIDGETS.failureReasons)).toContain('filter message = "Video failed"');
    expect(query(WIDGETS.recoveries)).toContain('"Unrecorded uploads queued again"');
  });

  it('names, in the runbook entry of every alarm, the widget that shows its cause', () => {
    const runbook = readFileSync(fromRoot('docs/operations.md'), 'utf8');
    const alarmIds = Object.values(synthesized.default?.stack.alarms.all ?? []).map((alarm) => alarm.node.id);
    expect(alarmIds.sort()).toEqual(Object.keys(ALARM_WIDGETS).sort());
    for (const id of alarmIds) {
      const section = runbook.split(/^### /m).find((candidate) => candidate.startsWith(`\`${id}\``)) ?? '';
      expect({ id, widget: section.includes(`**${ALARM_WIDGETS[id] ?? ''}**`) }).toEqual({
        id,
        widget: true,
      });
    }
  });
});
