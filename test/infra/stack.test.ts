import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import { type Template } from 'aws-cdk-lib/assertions';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { beforeAll, describe, expect, it } from 'vitest';
import { stackPropsFromContext } from '#infra/config';
import { assertConnectionBudget, DEFAULT_DATABASE_ROUTE_RESERVED_CONCURRENCY } from '#infra/stack';
import {
  CONFIGURATIONS,
  logicalId,
  policyStatementsOf,
  TRACING_STATEMENT,
  synthesize,
  type Synthesized,
} from '#test/infra/synth';

// Prepare + Act once per file: synthesizing is the expensive step; each test assesses one behaviour.
let synthesized: Synthesized;
let template: Template;
beforeAll(() => {
  synthesized = synthesize();
  template = synthesized.template;
});

type Resources = Record<string, { Type: string; Properties: Record<string, unknown> }>;

describe('stack', () => {
  it('outputs the API URL, bucket, user pool, client, region and the DLQ for the redrive command', () => {
    expect(template.toJSON().Outputs).toEqual({
      ApiUrl: {
        Description: 'Base URL of the API, through CloudFront (routes start with /api)',
        Value: {
          'Fn::Join': [
            '',
            [
              'https://',
              {
                'Fn::GetAtt': [
                  logicalId(synthesized.stack, synthesized.stack.cdn.distribution),
                  'DomainName',
                ],
              },
              '/',
            ],
          ],
        },
      },
      ConsoleUrl: {
        Description:
          'The console and the API through CloudFront (the address to share; public answers cached at the edge)',
        Value: {
          'Fn::Join': [
            '',
            [
              'https://',
              {
                'Fn::GetAtt': [
                  logicalId(synthesized.stack, synthesized.stack.cdn.distribution),
                  'DomainName',
                ],
              },
            ],
          ],
        },
      },
      BucketName: { Value: { Ref: logicalId(synthesized.stack, synthesized.stack.storage.bucket) } },
      UserPoolId: { Value: { Ref: logicalId(synthesized.stack, synthesized.stack.identity.userPool) } },
      UserPoolClientId: {
        Value: { Ref: logicalId(synthesized.stack, synthesized.stack.identity.userPoolClient) },
      },
      Region: { Value: { Ref: 'AWS::Region' } },
      DeadLetterQueueArn: {
        Description: 'DLQ_ARN of npm run redrive (docs/operations.md)',
        Value: {
          'Fn::GetAtt': [logicalId(synthesized.stack, synthesized.stack.storage.deadLetterQueue), 'Arn'],
        },
      },
    });
  });

  it('gives every log group a retention and every function, CDK providers included, an explicit log group', () => {
    const resources = template.toJSON().Resources as Resources;
    const logGroups = Object.entries(resources).filter(
      ([, resource]) => resource.Type === 'AWS::Logs::LogGroup',
    );
    expect(
      logGroups.filter(([, group]) => group.Properties.RetentionInDays !== 30).map(([id]) => id),
    ).toEqual([]);
    const functions = Object.entries(resources).filter(
      ([, resource]) => resource.Type === 'AWS::Lambda::Function',
    );
    const withoutOwnGroup = functions.filter(([, fn]) => {
      const ref = (fn.Properties.LoggingConfig as { LogGroup?: { Ref?: string } } | undefined)?.LogGroup?.Ref;
      return ref === undefined || resources[ref]?.Type !== 'AWS::Logs::LogGroup';
    });
    expect(withoutOwnGroup.map(([id]) => id)).toEqual([]);
    template.resourceCountIs('Custom::LogRetention', 0);
  });

  it('runs every function of the project on Node.js 24, x86_64, from a minified ESM bundle with source maps', () => {
    const ours = Object.values(template.findResources('AWS::Lambda::Function')).filter(
      (fn) =>
        (fn.Properties as { Environment?: { Variables?: Record<string, string> } }).Environment?.Variables
          ?.POWERTOOLS_SERVICE_NAME !== undefined,
    );
    expect(ours.length).toBeGreaterThanOrEqual(15);
    for (const fn of ours) {
      expect(fn.Properties).toMatchObject({
        Runtime: 'nodejs24.x',
        Architectures: ['x86_64'],
        Handler: 'index.handler',
        Environment: {
          Variables: expect.objectContaining({ NODE_OPTIONS: '--enable-source-maps' }) as unknown,
        },
      });
    }
  });

  it.each(Object.entries(CONFIGURATIONS))(
    'traces every function of the project with X-Ray, its role allowed to send the segments (%s)',
    (_name, props) => {
      // Prepare + Act
      const configured = _name === 'default' ? template : synthesize(props).template;

      // Assess
      const ours = Object.entries(configured.findResources('AWS::Lambda::Function')).filter(
        ([, fn]) =>
          (fn.Properties as { Environment?: { Variables?: Record<string, string> } }).Environment?.Variables
            ?.POWERTOOLS_SERVICE_NAME !== undefined,
      );
      expect(ours.length).toBeGreaterThanOrEqual(15);
      for (const [id, fn] of ours) {
        expect({ id, tracing: (fn.Properties as { TracingConfig?: unknown }).TracingConfig }).toEqual({
          id,
          tracing: { Mode: 'Active' },
        });
        expect(policyStatementsOf(configured, id, { withTracing: true })).toContainEqual(TRACING_STATEMENT);
      }
    },
  );

  it('uses the configured log retention everywhere', () => {
    // Prepare + Act
    const { template: weekly } = synthesize({ logRetention: RetentionDays.ONE_WEEK });

    // Assess
    const retentions = Object.values(weekly.findResources('AWS::Logs::LogGroup')).map(
      (group) => (group.Properties as { RetentionInDays: number }).RetentionInDays,
    );
    expect(new Set(retentions)).toEqual(new Set([7]));
  });
});

describe('database connection budget', () => {
  it('uses 68 of 70 connections with the defaults (70 with MediaConvert): 2 left for the in-VPC functions still to come', () => {
    const defaults = {
      workerMaxConcurrency: 5,
      routeReserved: DEFAULT_DATABASE_ROUTE_RESERVED_CONCURRENCY,
      maxConnections: 80,
    };
    expect(assertConnectionBudget(defaults)).toEqual({ used: 68, available: 70 });
    expect(assertConnectionBudget({ ...defaults, completionConcurrency: 2 })).toEqual({
      used: 70,
      available: 70,
    });
  });

  it('refuses a configuration that could exceed max_connections minus headroom, at synth time', () => {
    expect(() => synthesize({ databaseRouteReservedConcurrency: 20 })).toThrow(
      'Database connection budget exceeded: worker 5 + 24 routes (20 + 20 + 20 + 2 + 2 + 1 + 3 + 1 + 2 + 2 + 2 + 2 + 20 + 3 + 3 + 2 + 2 + 1 + 1 + 1 + 1 + 1 + 1 + 2) + sweeper 1 + account purge 2 + retry 2 + email codes 1 + pilot standing 1 + completion 0 + views 1 = 128 > 70 (max_connections 80 − headroom 10)',
    );
  });

  it('counts the account purge, at a max_connections where only it tips the budget', () => {
    // 77 − 10 = 67 connections fit everything but the purge's 2 (66 without it).
    expect(() => {
      assertConnectionBudget({ workerMaxConcurrency: 5, routeReserved: 5, maxConnections: 77 });
    }).toThrow(
      'Database connection budget exceeded: worker 5 + 24 routes (5 + 5 + 5 + 2 + 2 + 1 + 3 + 1 + 2 + 2 + 2 + 2 + 5 + 3 + 3 + 2 + 2 + 1 + 1 + 1 + 1 + 1 + 1 + 2) + sweeper 1 + account purge 2 + retry 2 + email codes 1 + pilot standing 1 + completion 0 + views 1 = 68 > 67 (max_connections 77 − headroom 10)',
    );
    expect(() => {
      assertConnectionBudget({ workerMaxConcurrency: 3, routeReserved: 5, maxConnections: 77 });
    }).not.toThrow();
    expect(() => {
      assertConnectionBudget({ workerMaxConcurrency: 5, routeReserved: 5, maxConnections: 78 });
    }).not.toThrow();
  });
});

/**
 * Stateful resources and what CloudFormation does to them when it stops managing them. RetainExceptOnCreate keeps
 * them on a stack delete, a removal from the template or (with UpdateReplacePolicy Retain) a replacement, but deletes
 * them when the operation that created them rolls back: a failed first deploy leaves nothing behind.
 */
const STATEFUL_POLICIES: Readonly<Record<string, { DeletionPolicy: string; UpdateReplacePolicy: string }>> = {
  'AWS::RDS::DBInstance': { DeletionPolicy: 'RetainExceptOnCreate', UpdateReplacePolicy: 'Retain' },
  'AWS::RDS::DBCluster': { DeletionPolicy: 'RetainExceptOnCreate', UpdateReplacePolicy: 'Retain' },
  // What a retained database stands in.
  'AWS::RDS::DBSubnetGroup': { DeletionPolicy: 'RetainExceptOnCreate', UpdateReplacePolicy: 'Retain' },
  'AWS::SecretsManager::Secret': { DeletionPolicy: 'RetainExceptOnCreate', UpdateReplacePolicy: 'Retain' },
  'AWS::Cognito::UserPool': { DeletionPolicy: 'RetainExceptOnCreate', UpdateReplacePolicy: 'Retain' },
  'AWS::S3::Bucket': { DeletionPolicy: 'RetainExceptOnCreate', UpdateReplacePolicy: 'Retain' },
  // Logs go with the stack on purpose (docs/infra.md, "Removal policies"): nothing in them outlives its use.
  'AWS::Logs::LogGroup': { DeletionPolicy: 'Delete', UpdateReplacePolicy: 'Delete' },
};

describe('stateful resources (docs/infra.md, "Removal policies")', () => {
  it.each(Object.entries(CONFIGURATIONS))(
    '%s: each is kept on delete and replacement, and deleted when its own creation rolls back (logs: deleted)',
    (_name, props) => {
      const resources = synthesize(props).template.toJSON().Resources as Record<
        string,
        { Type: string; DeletionPolicy?: string; UpdateReplacePolicy?: string }
      >;
      const stateful = Object.entries(resources).filter(([, { Type }]) => Type in STATEFUL_POLICIES);
      expect(stateful.length).toBeGreaterThan(0);
      expect(
        stateful.map(([id, { DeletionPolicy, UpdateReplacePolicy }]) => ({
          id,
          DeletionPolicy,
          UpdateReplacePolicy,
        })),
      ).toEqual(stateful.map(([id, { Type }]) => ({ id, ...STATEFUL_POLICIES[Type] })));
    },
  );
});

describe('low-quota accounts (-c databaseRouteReservedConcurrency=0, docs/infra.md)', () => {
  // Reserved concurrency must leave 100 unreserved in the account: with a quota of 10, any reservation fails the deploy.
  it.each(Object.entries(CONFIGURATIONS))('%s: no function reserves concurrency', (_name, props) => {
    const { template: lowQuota } = synthesize({ ...props, databaseRouteReservedConcurrency: 0 });
    const reserving = Object.entries(lowQuota.findResources('AWS::Lambda::Function'))
      .filter(([, { Properties }]) => 'ReservedConcurrentExecutions' in (Properties as object))
      .map(([id]) => id);
    expect(reserving).toEqual([]);
  });
});

describe('configuration from CDK context', () => {
  it('parses every key into typed stack props', () => {
    // Prepare
    const context: Record<string, string> = {
      stackName: 'Pilot',
      allowedOrigins: 'https://a.example, https://b.example,',
      removalPolicy: 'destroy',
      deletionProtection: 'false',
      dashboard: 'false',
      databaseInstanceType: 't4g.small',
      databaseMaxConnections: '180',
      databaseRouteReservedConcurrency: '20',
      workerMaxConcurrency: '8',
      maxConcurrentEditsPerPilot: '3',
      workerMemorySize: '4096',
      workerTimeoutSeconds: '240',
      logRetentionDays: '14',
      alarmEmail: 'ops@example.com',
      processor: 'mediaconvert',
      database: 'serverless',
      maxUnfinishedTasks: '3',
      maxDailyUploadBytes: '1073741824',
      waf: 'true',
      seasons: '2026-03-01, 2026-09-01',
    };

    // Act
    const props = stackPropsFromContext((key) => context[key]);

    // Assess
    expect({
      ...props,
      databaseInstanceType: props.databaseInstanceType?.toString(),
      workerTimeout: props.workerTimeout?.toSeconds(),
    }).toEqual({
      stackName: 'Pilot',
      description:
        'IDRL video platform: HTTP API, S3 uploads, SQS worker with MediaConvert, Aurora PostgreSQL Serverless v2, Cognito',
      allowedOrigins: ['https://a.example', 'https://b.example'],
      removalPolicy: RemovalPolicy.DESTROY,
      deletionProtection: false,
      dashboard: false,
      database: 'serverless',
      databaseInstanceType: 't4g.small',
      databaseMaxConnections: 180,
      databaseRouteReservedConcurrency: 20,
      workerMaxConcurrency: 8,
      maxConcurrentEditsPerPilot: 3,
      workerMemorySize: 4096,
      workerTimeout: Duration.seconds(240).toSeconds(),
      logRetention: 14,
      alarmEmail: 'ops@example.com',
      processor: 'mediaconvert',
      taskQuotas: { maxUnfinishedTasks: 3, maxDailyUploadBytes: 1_073_741_824 },
      waf: true,
      seasonStarts: ['2026-03-01', '2026-09-01'],
    });
  });

  it('defaults to a retained stack with no extra origins', () => {
    expect(stackPropsFromContext(() => undefined)).toEqual({
      stackName: 'IdrlVideoPlatform',
      description:
        'IDRL video platform: HTTP API, S3 uploads, SQS worker with ffmpeg, RDS PostgreSQL, Cognito',
      allowedOrigins: [],
      removalPolicy: RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE,
      deletionProtection: undefined,
      database: 'rds',
      databaseInstanceType: undefined,
      databaseMaxConnections: undefined,
      databaseRouteReservedConcurrency: undefined,
      workerMaxConcurrency: undefined,
      workerMemorySize: undefined,
      workerTimeout: undefined,
      logRetention: undefined,
      alarmEmail: undefined,
      processor: 'ffmpeg',
      taskQuotas: { maxUnfinishedTasks: undefined, maxDailyUploadBytes: undefined },
      waf: false,
    });
  });

  it('rejects malformed values with the key in the message', () => {
    expect(() => stackPropsFromContext((key) => (key === 'removalPolicy' ? 'snapshot' : undefined))).toThrow(
      'Context removalPolicy must be retain or destroy, got "snapshot"',
    );
    expect(() => stackPropsFromContext((key) => (key === 'deletionProtection' ? 'yes' : undefined))).toThrow(
      'Context deletionProtection must be true or false, got "yes"',
    );
    expect(() => stackPropsFromContext((key) => (key === 'waf' ? 'on' : undefined))).toThrow(
      'Context waf must be true or false, got "on"',
    );
    expect(() => stackPropsFromContext((key) => (key === 'database' ? 'aurora' : undefined))).toThrow(
      'Context database must be one of rds, serverless, got "aurora"',
    );
    expect(() =>
      stackPropsFromContext((key) => (key === 'workerMaxConcurrency' ? 'five' : undefined)),
    ).toThrow('Context workerMaxConcurrency must be a non-negative integer, got "five"');
    expect(() => stackPropsFromContext((key) => (key === 'maxUnfinishedTasks' ? '0' : undefined))).toThrow(
      'Context maxUnfinishedTasks must be a positive integer, got 0',
    );
    expect(() =>
      stackPropsFromContext((key) => (key === 'maxConcurrentEditsPerPilot' ? '0' : undefined)),
    ).toThrow('Context maxConcurrentEditsPerPilot must be a positive integer, got 0');
    expect(() => stackPropsFromContext((key) => (key === 'logRetentionDays' ? '10' : undefined))).toThrow(
      "Context logRetentionDays must be one of CloudWatch's retention periods (1, 3, 5, 7, 14, 30, ...), got 10",
    );
    expect(() =>
      stackPropsFromContext((key) => (key === 'processor' ? 'elastic-transcoder' : undefined)),
    ).toThrow('Context processor must be ffmpeg or mediaconvert, got "elastic-transcoder"');
    expect(() =>
      stackPropsFromContext((key) => (key === 'seasons' ? '2026-09-01,2026-03-01' : undefined)),
    ).toThrow(
      'Context seasons: Season starts must be in increasing order: "2026-03-01" comes after "2026-09-01"',
    );
    expect(() => stackPropsFromContext((key) => (key === 'seasons' ? '2026-02-29' : undefined))).toThrow(
      'Context seasons: Season start "2026-02-29" is not a calendar date written YYYY-MM-DD',
    );
  });
});
