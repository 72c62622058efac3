import { Match, type Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import type { MediaConvertBackend } from '#infra/constructs/mediaconvert';
import { logicalId, policyStatementsOf, propertiesOf, synthesize, type Synthesized } from '#test/infra/synth';

// Prepare + Act once per file: synthesizing is the expensive step; each test assesses one behaviour.
let synthesized: Synthesized;
let template: Template;
let backend: MediaConvertBackend;
let defaultStack: Synthesized;
beforeAll(() => {
  synthesized = synthesize({ processor: 'mediaconvert' });
  template = synthesized.template;
  if (synthesized.stack.mediaConvert === undefined)
    throw new Error('processor=mediaconvert built no backend');
  backend = synthesized.stack.mediaConvert;
  defaultStack = synthesize();
});

const id = (construct: { node: { defaultChild?: unknown } }): string =>
  logicalId(synthesized.stack, construct);
const bucketArn = (pattern: string): unknown => ({
  'Fn::Join': [
    '',
    [{ 'Fn::GetAtt': [expect.stringMatching(/^StorageBucket/) as unknown, 'Arn'] }, `/${pattern}`],
  ],
});
const queueArn = (): unknown => ({ 'Fn::GetAtt': [synthesized.stack.getLogicalId(backend.queue), 'Arn'] });

describe('processor switch', () => {
  it('keeps the ffmpeg worker by default: no queue, no roles, no rule, no PROCESSOR', () => {
    defaultStack.template.resourceCountIs('AWS::MediaConvert::Queue', 0);
    expect(defaultStack.stack.mediaConvert).toBeUndefined();
    expect(
      Object.keys(
        defaultStack.template.findResources('AWS::Events::Rule', {
          Properties: { EventPattern: Match.anyValue() },
        }),
      ),
    ).toEqual([]);
    const worker = propertiesOf(
      defaultStack.template,
      logicalId(defaultStack.stack, defaultStack.stack.worker.function),
    );
    expect(
      Object.keys((worker.Environment as { Variables: Record<string, unknown> }).Variables),
    ).not.toContain('PROCESSOR');
  });

  it('with processor=mediaconvert, points the same worker at MediaConvert, keeping its ffmpeg layer for validation', () => {
    expect(
      propertiesOf(template, logicalId(synthesized.stack, synthesized.stack.worker.function)),
    ).toMatchObject({
      Layers: [{ Ref: logicalId(synthesized.stack, synthesized.stack.worker.layer) }],
      Environment: {
        Variables: expect.objectContaining({
          PROCESSOR: 'mediaconvert',
          FFPROBE_PATH: '/opt/bin/ffprobe',
          MEDIACONVERT_ROLE_ARN: { 'Fn::GetAtt': [id(backend.serviceRole), 'Arn'] },
          MEDIACONVERT_QUEUE_ARN: queueArn(),
          LOGO_URI: {
            'Fn::Sub': expect.stringMatching(
              /^s3:\/\/cdk-[a-z0-9]+-assets-\$\{AWS::AccountId\}-\$\{AWS::Region\}\/[0-9a-f]{64}\.png$/,
            ) as unknown,
          },
        }) as unknown,
      },
    });
  });

  it('gives the worker no MediaConvert or IAM permission: it stores the job request under processed/', () => {
    const actions = policyStatementsOf(
      template,
      logicalId(synthesized.stack, synthesized.stack.worker.function),
    ).flatMap((statement) => [(statement as { Action: string | string[] }).Action].flat());
    expect(actions.filter((action) => /^(mediaconvert|iam):/.test(action))).toEqual([]);
  });
});

describe('MediaConvert backend', () => {
  it("creates an on-demand queue that names this stack's jobs", () => {
    template.hasResourceProperties('AWS::MediaConvert::Queue', {
      PricingPlan: 'ON_DEMAND',
      Status: 'ACTIVE',
    });
  });

  it("gives the service role reads of the jobs' copies, uploads and the logo, and writes of the task outputs by name only", () => {
    expect(propertiesOf(template, id(backend.serviceRole))).toMatchObject({
      AssumeRolePolicyDocument: {
        Statement: [
          { Action: 'sts:AssumeRole', Effect: 'Allow', Principal: { Service: 'mediaconvert.amazonaws.com' } },
        ],
      },
    });
    expect(template.findResources('AWS::IAM::Role')[id(backend.serviceRole)]?.Properties).not.toHaveProperty(
      'ManagedPolicyArns',
    );
    const policies = Object.values(template.findResources('AWS::IAM::Policy')).filter((policy) =>
      (policy.Properties as { Roles: { Ref: string }[] }).Roles.some(
        (role) => role.Ref === id(backend.serviceRole),
      ),
    );
    expect(
      policies.flatMap(
        (policy) =>
          (policy.Properties as { PolicyDocument: { Statement: unknown[] } }).PolicyDocument.Statement,
      ),
    ).toEqual([
      {
        Action: 's3:GetObject',
        Effect: 'Allow',
        Resource: [
          bucketArn('processed/*/mediaconvert-source'),
          bucketArn('uploads/*'),
          {
            'Fn::Join': [
              '',
              [
                'arn:',
                { Ref: 'AWS::Partition' },
                ':s3:::',
                { 'Fn::Sub': expect.stringMatching(/^cdk-[a-z0-9]+-assets-/) as unknown },
                expect.stringMatching(/^\/[0-9a-f]{64}\.png$/) as unknown,
              ],
            ],
          },
        ],
      },
      {
        Action: 's3:PutObject',
        Effect: 'Allow',
        Resource: [bucketArn('processed/*/video.mp4'), bucketArn('processed/*/thumbnail.*.jpg')],
      },
    ]);
  });

  it('runs the submitter outside the VPC with job-request reads, CreateJob in the queue and PassRole of the service role only', () => {
    const submitterId = id(backend.submitter);
    expect(propertiesOf(template, submitterId)).not.toHaveProperty('VpcConfig');
    expect(policyStatementsOf(template, submitterId)).toEqual([
      { Action: 's3:GetObject', Effect: 'Allow', Resource: bucketArn('processed/*/mediaconvert-job.json') },
      { Action: 'mediaconvert:CreateJob', Effect: 'Allow', Resource: queueArn() },
      {
        Action: 'iam:PassRole',
        Condition: { StringEquals: { 'iam:PassedToService': 'mediaconvert.amazonaws.com' } },
        Effect: 'Allow',
        Resource: { 'Fn::GetAtt': [id(backend.serviceRole), 'Arn'] },
      },
    ]);
  });

  it('invokes the submitter for job requests only, and keeps the queue notifications on uploads/ and requeue/', () => {
    template.hasResourceProperties('Custom::S3BucketNotifications', {
      NotificationConfiguration: {
        QueueConfigurations: [
          Match.objectLike({ Filter: { Key: { FilterRules: [{ Name: 'prefix', Value: 'uploads/' }] } } }),
          Match.objectLike({ Filter: { Key: { FilterRules: [{ Name: 'prefix', Value: 'requeue/' }] } } }),
        ],
        LambdaFunctionConfigurations: [
          {
            Events: ['s3:ObjectCreated:*'],
            Filter: {
              Key: {
                FilterRules: [
                  { Name: 'suffix', Value: '/mediaconvert-job.json' },
                  { Name: 'prefix', Value: 'processed/' },
                ],
              },
            },
            LambdaFunctionArn: { 'Fn::GetAtt': [id(backend.submitter), 'Arn'] },
          },
        ],
      },
    });
  });

  it("routes COMPLETE and ERROR of this queue's jobs to the completion function, with retries", () => {
    expect(propertiesOf(template, id(backend.rule))).toEqual({
      Description: 'Finished MediaConvert jobs of this stack',
      EventPattern: {
        source: ['aws.mediaconvert'],
        'detail-type': ['MediaConvert Job State Change'],
        detail: { status: ['COMPLETE', 'ERROR'], queue: [queueArn()] },
      },
      State: 'ENABLED',
      Targets: [
        {
          Arn: { 'Fn::GetAtt': [id(backend.completion), 'Arn'] },
          Id: 'Target0',
          RetryPolicy: { MaximumEventAgeInSeconds: 21600, MaximumRetryAttempts: 8 },
        },
      ],
    });
  });

  it('runs the completion function in the VPC with 2 reserved instances, database access, output reads and deletes, requeue markers and the per-pilot cap', () => {
    const completionId = id(backend.completion);
    expect(propertiesOf(template, completionId)).toMatchObject({
      ReservedConcurrentExecutions: 2,
      VpcConfig: expect.anything() as unknown,
      Environment: {
        Variables: expect.objectContaining({
          DB_IAM_AUTH: 'true',
          BUCKET_NAME: expect.anything() as unknown,
          MAX_CONCURRENT_EDITS_PER_PILOT: '2',
        }) as unknown,
      },
    });
    expect(policyStatementsOf(template, completionId)).toEqual([
      expect.objectContaining({ Action: 'rds-db:connect', Effect: 'Allow' }),
      { Action: ['s3:GetObject', 's3:DeleteObject'], Effect: 'Allow', Resource: bucketArn('processed/*') },
      { Action: 's3:PutObject', Effect: 'Allow', Resource: bucketArn('requeue/*') },
    ]);
  });

  it('counts the completion function in the database connection budget', () => {
    // 79 − 10 = 69 connections fit everything but the completion function's 2 (68 without it).
    expect(() => synthesize({ processor: 'mediaconvert', databaseMaxConnections: 79 })).toThrow(
      'Database connection budget exceeded: worker 5 + 24 routes (5 + 5 + 5 + 2 + 2 + 1 + 3 + 1 + 2 + 2 + 2 + 2 + 5 + 3 + 3 + 2 + 2 + 1 + 1 + 1 + 1 + 1 + 1 + 2) + sweeper 1 + account purge 2 + retry 2 + email codes 1 + pilot standing 1 + completion 2 + views 1 = 70 > 69 (max_connections 79 − headroom 10)',
    );
    expect(() => synthesize({ processor: 'ffmpeg', databaseMaxConnections: 79 })).not.toThrow();
  });
});
