import { Duration } from 'aws-cdk-lib';
import { Match, type Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { logicalId, synthesize, type Synthesized } from '#test/infra/synth';

// Prepare + Act once per file: synthesizing is the expensive step; each test assesses one behaviour.
let synthesized: Synthesized;
let template: Template;
beforeAll(() => {
  synthesized = synthesize();
  template = synthesized.template;
});

describe('video bucket', () => {
  it('blocks every form of public access', () => {
    template.hasResourceProperties('AWS::S3::Bucket', {
      PublicAccessBlockConfiguration: {
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      },
    });
  });

  it('encrypts objects at rest with S3-managed keys', () => {
    template.hasResourceProperties('AWS::S3::Bucket', {
      BucketEncryption: {
        ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }],
      },
    });
  });

  it('denies every request that does not use TLS', () => {
    template.hasResourceProperties('AWS::S3::BucketPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Effect: 'Deny',
            Action: 's3:*',
            Principal: { AWS: '*' },
            Condition: { Bool: { 'aws:SecureTransport': 'false' } },
          }),
        ]),
      },
    });
  });

  it('allows browser uploads and downloads from the configured origins and the CDN, exposing ETag', () => {
    const bucket = Object.values(template.findResources('AWS::S3::Bucket'))[0];
    const rules = (bucket?.Properties as { CorsConfiguration: { CorsRules: unknown[] } }).CorsConfiguration
      .CorsRules;
    expect(rules).toEqual([
      {
        AllowedHeaders: ['*'],
        AllowedMethods: ['POST', 'PUT', 'GET'],
        AllowedOrigins: ['https://console.example.com'],
        ExposedHeaders: ['ETag'],
        MaxAge: 3000,
      },
      {
        AllowedHeaders: ['*'],
        AllowedMethods: ['POST', 'PUT', 'GET'],
        // Not the API's own execute-api origin: it answers only the CDN (functions/core/edge-origin.ts).
        AllowedOrigins: [
          {
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
        ],
        ExposedHeaders: ['ETag'],
        MaxAge: 3000,
      },
    ]);
  });

  it('is kept on stack deletion and replacement by default, and deleted if its own creation rolls back', () => {
    template.hasResource('AWS::S3::Bucket', {
      DeletionPolicy: 'RetainExceptOnCreate',
      UpdateReplacePolicy: 'Retain',
    });
  });

  it('is versioned; aborts incomplete multipart uploads, expires replaced and deleted versions after 30 days and stray requeue markers after a day, nothing else', () => {
    template.hasResourceProperties('AWS::S3::Bucket', {
      VersioningConfiguration: { Status: 'Enabled' },
      LifecycleConfiguration: {
        Rules: [
          {
            Id: 'abort-incomplete-multipart-uploads',
            Status: 'Enabled',
            AbortIncompleteMultipartUpload: { DaysAfterInitiation: 1 },
          },
          {
            Id: 'expire-noncurrent-versions',
            Status: 'Enabled',
            NoncurrentVersionExpiration: { NoncurrentDays: 30 },
            ExpiredObjectDeleteMarker: true,
          },
          { Id: 'expire-requeue-markers', Status: 'Enabled', Prefix: 'requeue/', ExpirationInDays: 1 },
        ],
      },
    });
  });
});

describe('upload queue', () => {
  it('notifies the queue of every object created under uploads/ and requeue/ and nothing else', () => {
    const queueId = logicalId(synthesized.stack, synthesized.stack.storage.queue);
    template.hasResourceProperties('Custom::S3BucketNotifications', {
      NotificationConfiguration: {
        QueueConfigurations: ['uploads/', 'requeue/'].map((prefix) => ({
          Events: ['s3:ObjectCreated:*'],
          Filter: { Key: { FilterRules: [{ Name: 'prefix', Value: prefix }] } },
          QueueArn: { 'Fn::GetAtt': [queueId, 'Arn'] },
        })),
      },
    });
  });

  it('encrypts every queue and DLQ (uploads, views) with SQS-managed keys and denies non-TLS access', () => {
    const queues = template.findResources('AWS::SQS::Queue');
    expect(
      Object.values(queues).map(
        (queue) => (queue.Properties as { SqsManagedSseEnabled: boolean }).SqsManagedSseEnabled,
      ),
    ).toEqual([true, true, true, true]);
    template.resourcePropertiesCountIs(
      'AWS::SQS::QueuePolicy',
      {
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
          ]),
        },
      },
      4,
    );
  });

  it('sends a message to the DLQ after 3 receives and keeps it there 14 days', () => {
    const dlqId = logicalId(synthesized.stack, synthesized.stack.storage.deadLetterQueue);
    template.hasResourceProperties('AWS::SQS::Queue', {
      RedrivePolicy: { deadLetterTargetArn: { 'Fn::GetAtt': [dlqId, 'Arn'] }, maxReceiveCount: 3 },
    });
    expect(template.findResources('AWS::SQS::Queue')[dlqId]?.Properties).toEqual({
      MessageRetentionPeriod: 1_209_600,
      SqsManagedSseEnabled: true,
    });
  });

  it('hides a message for six times the worker timeout', () => {
    template.hasResourceProperties('AWS::SQS::Queue', { VisibilityTimeout: 1080 });
  });

  it('derives the visibility timeout from a configured worker timeout', () => {
    // Prepare + Act
    const { template: shorter } = synthesize({ workerTimeout: Duration.seconds(60) });

    // Assess
    shorter.hasResourceProperties('AWS::SQS::Queue', { VisibilityTimeout: 360 });
    shorter.hasResourceProperties('AWS::Lambda::Function', {
      Handler: 'index.handler',
      Timeout: 60,
      MemorySize: 3008,
    });
  });

  it.each([
    ['uploads', () => synthesized.stack.storage.deadLetterQueue],
    ['views', () => synthesized.stack.views.deadLetterQueue],
  ])('alarms as soon as one message is visible in the %s DLQ', (_name, deadLetterQueue) => {
    const dlqId = logicalId(synthesized.stack, deadLetterQueue());
    const topicId = logicalId(synthesized.stack, synthesized.stack.alarms.topic);
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'AWS/SQS',
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [dlqId, 'QueueName'] } }],
      Statistic: 'Maximum',
      Period: 300,
      EvaluationPeriods: 1,
      Threshold: 0,
      ComparisonOperator: 'GreaterThanThreshold',
      TreatMissingData: 'notBreaching',
      AlarmActions: [{ Ref: topicId }],
    });
  });
});
