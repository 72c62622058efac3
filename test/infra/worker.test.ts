import { Duration } from 'aws-cdk-lib';
import { Match, type Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { logicalId, policyStatementsOf, propertiesOf, synthesize, type Synthesized } from '#test/infra/synth';

// Prepare + Act once per file: synthesizing is the expensive step; each test assesses one behaviour.
let synthesized: Synthesized;
let template: Template;
let workerId: string;
beforeAll(() => {
  synthesized = synthesize();
  template = synthesized.template;
  workerId = logicalId(synthesized.stack, synthesized.stack.worker.function);
});

function workerProperties(): Record<string, unknown> {
  return propertiesOf(template, workerId);
}

const bucketArn = (prefix: string): unknown => ({
  'Fn::Join': [
    '',
    [{ 'Fn::GetAtt': [expect.stringMatching(/^StorageBucket/) as unknown, 'Arn'] }, `/${prefix}*`],
  ],
});

describe('worker function', () => {
  it('runs Node.js 24 on x86_64 with 3008 MB, 180 s and 512 MB of /tmp, the ffmpeg layer and its paths', () => {
    const layerId = logicalId(synthesized.stack, synthesized.stack.worker.layer);
    expect(workerProperties()).toMatchObject({
      Runtime: 'nodejs24.x',
      Architectures: ['x86_64'],
      Handler: 'index.handler',
      MemorySize: 3008,
      Timeout: 180,
      EphemeralStorage: { Size: 512 },
      Layers: [{ Ref: layerId }],
      Environment: {
        Variables: expect.objectContaining({
          FFMPEG_PATH: '/opt/bin/ffmpeg',
          FFPROBE_PATH: '/opt/bin/ffprobe',
          LOGO_PATH: '/opt/share/idrl/idrl-logo.png',
          MAX_RECEIVE_COUNT: '3',
          MAX_CONCURRENT_EDITS_PER_PILOT: '2',
          POWERTOOLS_SERVICE_NAME: 'idrl-worker',
          DB_IAM_AUTH: 'true',
          BUCKET_NAME: { Ref: expect.stringMatching(/^StorageBucket/) as unknown },
        }) as unknown,
      },
    });
  });

  it('runs in the VPC with the database client security group', () => {
    expect(workerProperties().VpcConfig).toEqual({
      SecurityGroupIds: [
        {
          'Fn::GetAtt': [
            logicalId(synthesized.stack, synthesized.stack.network.databaseClientSecurityGroup),
            'GroupId',
          ],
        },
      ],
      SubnetIds: [
        { Ref: expect.stringMatching(/^NetworkVpcisolatedSubnet1/) as unknown },
        { Ref: expect.stringMatching(/^NetworkVpcisolatedSubnet2/) as unknown },
      ],
    });
  });

  it('declares a layer for Node.js 24 on x86_64', () => {
    template.hasResourceProperties('AWS::Lambda::LayerVersion', {
      CompatibleRuntimes: ['nodejs24.x'],
      CompatibleArchitectures: ['x86_64'],
    });
  });

  it('consumes the upload queue one message at a time with partial batch failures and bounded concurrency', () => {
    const queueId = logicalId(synthesized.stack, synthesized.stack.storage.queue);
    // The worker's own mapping (the views consumer has another, infra/constructs/views.ts).
    const mappings = Object.values(template.findResources('AWS::Lambda::EventSourceMapping'))
      .map((mapping) => mapping.Properties as { FunctionName: unknown })
      .filter((properties) => JSON.stringify(properties.FunctionName) === JSON.stringify({ Ref: workerId }));
    expect(mappings).toEqual([
      {
        FunctionName: { Ref: workerId },
        EventSourceArn: { 'Fn::GetAtt': [queueId, 'Arn'] },
        BatchSize: 1,
        FunctionResponseTypes: ['ReportBatchItemFailures'],
        ScalingConfig: { MaximumConcurrency: 5 },
      },
    ]);
  });

  it('reads and deletes uploads, writes and deletes outputs, and consumes the queue, nothing else', () => {
    const statements = policyStatementsOf(template, workerId);
    expect(statements).toEqual([
      expect.objectContaining({ Action: 'rds-db:connect', Effect: 'Allow' }),
      {
        Action: ['s3:GetObject', 's3:GetObjectVersion', 's3:DeleteObject', 's3:DeleteObjectVersion'],
        Effect: 'Allow',
        Resource: bucketArn('uploads/'),
      },
      { Action: ['s3:PutObject', 's3:DeleteObject'], Effect: 'Allow', Resource: bucketArn('processed/') },
      { Action: ['s3:PutObject', 's3:DeleteObject'], Effect: 'Allow', Resource: bucketArn('requeue/') },
      {
        Action: [
          'sqs:ReceiveMessage',
          'sqs:ChangeMessageVisibility',
          'sqs:GetQueueUrl',
          'sqs:DeleteMessage',
          'sqs:GetQueueAttributes',
        ],
        Effect: 'Allow',
        Resource: { 'Fn::GetAtt': [logicalId(synthesized.stack, synthesized.stack.storage.queue), 'Arn'] },
      },
    ]);
  });

  it('uses the configured maximum concurrency', () => {
    // Prepare + Act
    const { template: wider } = synthesize({ workerMaxConcurrency: 7 });

    // Assess
    wider.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      ScalingConfig: { MaximumConcurrency: 7 },
    });
  });
});

describe('sweeper', () => {
  const sweeperIdOf = (of: Synthesized): string => logicalId(of.stack, of.stack.sweeper.function);

  it('runs every hour outside the VPC, allowed only to invoke the sweep and send to the upload queue', () => {
    const { stack } = synthesized;
    const runnerId = logicalId(stack, stack.sweeper.runner);
    const sweepId = sweeperIdOf(synthesized);
    const queueId = logicalId(stack, stack.storage.queue);
    template.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: 'rate(1 hour)',
      State: 'ENABLED',
      Targets: [
        Match.objectLike({
          Arn: { 'Fn::GetAtt': [runnerId, 'Arn'] },
          RetryPolicy: { MaximumRetryAttempts: 2 },
        }),
      ],
    });
    const runner = propertiesOf(template, runnerId);
    expect('VpcConfig' in runner).toBe(false);
    // The sweep's 60 s and up to 20 batches of messages.
    expect(runner.Timeout).toBe(80);
    expect(policyStatementsOf(template, runnerId)).toEqual([
      { Action: 'lambda:InvokeFunction', Effect: 'Allow', Resource: { 'Fn::GetAtt': [sweepId, 'Arn'] } },
      { Action: 'sqs:SendMessage', Effect: 'Allow', Resource: { 'Fn::GetAtt': [queueId, 'Arn'] } },
    ]);
    expect(runner.Environment).toEqual({
      Variables: expect.objectContaining({
        SWEEP_FUNCTION: { Ref: sweepId },
        UPLOAD_QUEUE_URL: { Ref: queueId },
      }) as unknown,
    });
  });

  it('sweeps in the VPC with one reserved instance, and only the database and object access its use cases need', () => {
    const sweepId = sweeperIdOf(synthesized);
    expect(propertiesOf(template, sweepId)).toMatchObject({
      ReservedConcurrentExecutions: 1,
      Timeout: 60,
      VpcConfig: expect.anything() as unknown,
    });
    // No SQS, no requeue marker: the runner outside the VPC queues what the sweep recovered.
    expect(policyStatementsOf(template, sweepId)).toEqual([
      expect.objectContaining({ Action: 'rds-db:connect' }),
      {
        Action: [
          's3:GetObject',
          's3:GetObjectVersion',
          's3:DeleteObject',
          's3:DeleteObjectVersion',
          's3:AbortMultipartUpload',
        ],
        Effect: 'Allow',
        Resource: bucketArn('uploads/'),
      },
      { Action: 's3:DeleteObject', Effect: 'Allow', Resource: bucketArn('processed/') },
      {
        Action: 's3:ListBucket',
        Effect: 'Allow',
        Resource: { 'Fn::GetAtt': [expect.stringMatching(/^StorageBucket/) as unknown, 'Arn'] },
      },
      {
        Action: 's3:ListBucketMultipartUploads',
        Effect: 'Allow',
        Resource: { 'Fn::GetAtt': [expect.stringMatching(/^StorageBucket/) as unknown, 'Arn'] },
      },
    ]);
  });

  it('fails stalled tasks only after every receive of their message: visibility timeout × (MAX_RECEIVE_COUNT + 1)', () => {
    // Prepare
    const shorter = synthesize({ workerTimeout: Duration.seconds(120) });

    // Assess: 180 s × 6 × 4 by default; the bound follows the worker timeout.
    template.hasResourceProperties('AWS::SQS::Queue', { VisibilityTimeout: 1080 });
    expect(propertiesOf(template, sweeperIdOf(synthesized))).toMatchObject({
      Environment: {
        Variables: expect.objectContaining({
          STALLED_TASK_SECONDS: '4320',
          BUCKET_NAME: expect.anything() as unknown,
        }) as unknown,
      },
    });
    expect(propertiesOf(shorter.template, sweeperIdOf(shorter))).toMatchObject({
      Environment: { Variables: expect.objectContaining({ STALLED_TASK_SECONDS: '2880' }) as unknown },
    });
  });
});

describe('migration trigger', () => {
  it('runs before every function that uses the database and before the queue feeds the worker', () => {
    const { stack } = synthesized;
    const resources = template.toJSON().Resources as Record<string, { DependsOn?: string[] }>;
    const triggerId = logicalId(stack, stack.database.migrationTrigger);
    const dependents = [
      stack.worker.function,
      stack.worker.eventSourceMapping,
      stack.sweeper.function,
      stack.accountPurge.function,
      stack.api.retryTransition.function,
      ...['create-task', 'list-tasks', 'get-task', 'delete-task', 'health'].map((name) => {
        const fn = stack.api.routeFunctions.get(name as never);
        if (fn === undefined) throw new Error(`No function for ${name}`);
        return fn;
      }),
    ].map((construct) => logicalId(stack, construct));
    for (const id of dependents)
      expect({ id, dependsOn: resources[id]?.DependsOn }).toEqual({
        id,
        dependsOn: expect.arrayContaining([triggerId]) as unknown,
      });
  });
});
