import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import { Match, type Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { logicalId, policyStatementsOf, propertiesOf, synthesize, type Synthesized } from '#test/infra/synth';

// Prepare + Act once per file: synthesizing is the expensive step; each test assesses one behaviour.
let synthesized: Synthesized;
let template: Template;
beforeAll(() => {
  synthesized = synthesize();
  template = synthesized.template;
});

function id(construct: { node: { defaultChild?: unknown } }): string {
  return logicalId(synthesized.stack, construct);
}

/** Every ingress rule into the security group with this description, and the group's egress rules. */
function securityGroupRules(description: string): { ingress: unknown[]; egress: unknown } {
  const groups = template.findResources('AWS::EC2::SecurityGroup', {
    Properties: { GroupDescription: description },
  });
  const [groupId, group] = Object.entries(groups)[0] ?? [];
  const ingress = Object.values(template.findResources('AWS::EC2::SecurityGroupIngress'))
    .map((rule) => rule.Properties as { GroupId: unknown })
    .filter(
      (rule) => JSON.stringify(rule.GroupId) === JSON.stringify({ 'Fn::GetAtt': [groupId, 'GroupId'] }),
    );
  return { ingress, egress: (group?.Properties as { SecurityGroupEgress: unknown }).SecurityGroupEgress };
}

/** CDK's rendering of "no outbound traffic at all". */
const NO_EGRESS = [
  {
    CidrIp: '255.255.255.255/32',
    Description: 'Disallow all traffic',
    FromPort: 252,
    IpProtocol: 'icmp',
    ToPort: 86,
  },
];

describe('network', () => {
  it('has no NAT gateway, no internet gateway and no public subnet', () => {
    template.resourceCountIs('AWS::EC2::NatGateway', 0);
    template.resourceCountIs('AWS::EC2::InternetGateway', 0);
    template.resourceCountIs('AWS::EC2::Subnet', 2);
    template.allResourcesProperties('AWS::EC2::Subnet', { MapPublicIpOnLaunch: false });
    template.allResourcesProperties('AWS::EC2::Subnet', {
      Tags: Match.arrayWith([{ Key: 'aws-cdk:subnet-type', Value: 'Isolated' }]),
    });
  });

  it('reaches S3 through a gateway endpoint on the isolated route tables', () => {
    template.hasResourceProperties('AWS::EC2::VPCEndpoint', {
      VpcEndpointType: 'Gateway',
      ServiceName: { 'Fn::Join': ['', ['com.amazonaws.', { Ref: 'AWS::Region' }, '.s3']] },
      RouteTableIds: Match.arrayWith([Match.objectLike({ Ref: Match.anyValue() })]),
    });
  });

  it("lets the S3 gateway endpoint carry only the functions' object actions on the project's bucket", () => {
    const endpoint = propertiesOf(template, id(synthesized.stack.network.s3Endpoint));
    expect(endpoint.PolicyDocument).toEqual({
      Version: '2012-10-17',
      Statement: [
        {
          Effect: 'Allow',
          Principal: { AWS: '*' },
          Action: [
            's3:GetObject',
            's3:PutObject',
            's3:DeleteObject',
            's3:AbortMultipartUpload',
            's3:ListMultipartUploadParts',
          ],
          Resource: {
            'Fn::Join': ['', [{ 'Fn::GetAtt': [id(synthesized.stack.storage.bucket), 'Arn'] }, '/*']],
          },
        },
        {
          Effect: 'Allow',
          Principal: { AWS: '*' },
          Action: ['s3:ListBucket', 's3:ListBucketMultipartUploads'],
          Resource: { 'Fn::GetAtt': [id(synthesized.stack.storage.bucket), 'Arn'] },
        },
      ],
    });
  });

  it('has no interface endpoint: no function in the VPC calls an AWS API', () => {
    template.resourceCountIs('AWS::EC2::VPCEndpoint', 1);
    expect(
      Object.keys(
        template.findResources('AWS::EC2::VPCEndpoint', { Properties: { VpcEndpointType: 'Interface' } }),
      ),
    ).toEqual([]);
  });

  it('logs rejected traffic to a log group with retention', () => {
    template.hasResourceProperties('AWS::EC2::FlowLog', {
      TrafficType: 'REJECT',
      LogDestinationType: 'cloud-watch-logs',
    });
  });
});

function present<T>(value: T | undefined): T {
  if (value === undefined) throw new Error('Expected a construct the stack does not have');
  return value;
}

function instance(): { node: { defaultChild?: unknown } } {
  return present(synthesized.stack.database.instance);
}

describe('database (default: RDS PostgreSQL)', () => {
  it('is PostgreSQL 17 on a private, encrypted, backed-up t4g.micro with IAM authentication', () => {
    template.resourceCountIs('AWS::RDS::DBCluster', 0);
    template.hasResourceProperties('AWS::RDS::DBInstance', {
      Engine: 'postgres',
      EngineVersion: Match.stringLikeRegexp('^17'),
      DBInstanceClass: 'db.t4g.micro',
      PubliclyAccessible: false,
      StorageEncrypted: true,
      StorageType: 'gp3',
      AllocatedStorage: '20',
      BackupRetentionPeriod: 7,
      EnableIAMDatabaseAuthentication: true,
      MultiAZ: false,
      DBName: 'idrl',
      // Off until -c deletionProtection=true: it would block the delete that rolls back a failed first deploy.
      DeletionProtection: false,
    });
  });

  it('is protected from deletion, with the user pool, once deletionProtection is set', () => {
    const { template: protectedStack } = synthesize({ deletionProtection: true });
    protectedStack.hasResourceProperties('AWS::RDS::DBInstance', { DeletionProtection: true });
    protectedStack.hasResourceProperties('AWS::Cognito::UserPool', { DeletionProtection: 'ACTIVE' });
    expect(() => synthesize({ deletionProtection: true, removalPolicy: RemovalPolicy.DESTROY })).toThrow(
      'Deletion protection would keep a destroy stack from deleting its database and user pool',
    );
  });

  it('is retained with its secret by default, and deleted with removalPolicy destroy', () => {
    template.hasResource('AWS::RDS::DBInstance', {
      DeletionPolicy: 'RetainExceptOnCreate',
      UpdateReplacePolicy: 'Retain',
    });
    template.hasResource('AWS::SecretsManager::Secret', { DeletionPolicy: 'RetainExceptOnCreate' });

    // Prepare + Act
    const { template: destroyed } = synthesize({ removalPolicy: RemovalPolicy.DESTROY });

    // Assess
    destroyed.hasResource('AWS::RDS::DBInstance', {
      DeletionPolicy: 'Delete',
      Properties: Match.objectLike({ DeletionProtection: false }),
    });
    destroyed.hasResource('AWS::SecretsManager::Secret', { DeletionPolicy: 'Delete' });
    destroyed.hasResource('AWS::S3::Bucket', { DeletionPolicy: 'Delete' });
    destroyed.hasResource('AWS::Cognito::UserPool', { DeletionPolicy: 'Delete' });
    destroyed.resourceCountIs('Custom::S3AutoDeleteObjects', 1);
  });

  it('generates the master password into Secrets Manager', () => {
    template.hasResourceProperties('AWS::SecretsManager::Secret', {
      GenerateSecretString: Match.objectLike({
        SecretStringTemplate: '{"username":"idrl_admin"}',
        GenerateStringKey: 'password',
      }),
    });
  });

  it('accepts 5432 only from the database client functions and initiates nothing', () => {
    const rules = securityGroupRules('PostgreSQL: 5432 from the database client functions only');
    expect(rules.ingress).toEqual([
      {
        IpProtocol: 'tcp',
        FromPort: 5432,
        ToPort: 5432,
        Description: 'PostgreSQL from database client functions',
        GroupId: expect.anything() as unknown,
        SourceSecurityGroupId: {
          'Fn::GetAtt': [id(synthesized.stack.network.databaseClientSecurityGroup), 'GroupId'],
        },
      },
    ]);
    expect(rules.egress).toEqual(NO_EGRESS);
  });

  it('runs the migrations on deploy after the instance: the launcher outside the VPC, the migrator inside', () => {
    const { database } = synthesized.stack;
    const trigger = Object.values(template.findResources('Custom::Trigger'))[0];
    expect(trigger?.DependsOn).toEqual(expect.arrayContaining([id(instance())]));
    expect(trigger?.Properties).toMatchObject({
      HandlerArn: { Ref: expect.stringMatching(/^DatabaseMigrateLauncherCurrentVersion/) as unknown },
      InvocationType: 'RequestResponse',
    });
    const launcher = propertiesOf(template, id(database.migrationLauncher));
    expect(launcher.VpcConfig).toBeUndefined();
    expect(launcher.Timeout).toBe(300);
    expect(launcher.Environment).toEqual({
      Variables: expect.objectContaining({
        DB_SECRET_ARN: { Ref: expect.stringMatching(/^DatabaseInstanceSecretAttachment/) as unknown },
        // The current version: new migrations, new version, new launcher configuration, so the trigger runs again.
        MIGRATE_FUNCTION_ARN: { Ref: expect.stringMatching(/^DatabaseMigrateCurrentVersion/) as unknown },
      }) as unknown,
    });
    const migrator = propertiesOf(template, id(database.migrationFunction));
    expect(migrator.Timeout).toBe(240);
    expect(migrator.Environment).toEqual({
      Variables: {
        DB_HOST: { 'Fn::GetAtt': [id(instance()), 'Endpoint.Address'] },
        DB_PORT: { 'Fn::GetAtt': [id(instance()), 'Endpoint.Port'] },
        DB_NAME: 'idrl',
        DB_USER: 'idrl_app',
        DB_MASTER_HANDOFF: 'true',
        NODE_EXTRA_CA_CERTS: '/var/runtime/ca-cert.pem',
        NODE_OPTIONS: '--enable-source-maps',
        POWERTOOLS_SERVICE_NAME: 'idrl-ops',
        POWERTOOLS_METRICS_NAMESPACE: 'IDRL',
        LOG_LEVEL: 'INFO',
      },
    });
    expect(migrator.VpcConfig).toEqual({
      SecurityGroupIds: [
        { 'Fn::GetAtt': [id(synthesized.stack.network.databaseClientSecurityGroup), 'GroupId'] },
      ],
      SubnetIds: expect.anything() as unknown,
    });
  });

  it('lets only the launcher read the master secret and invoke the migrator', () => {
    const statementsWith = (action: string): unknown[] =>
      Object.values(template.findResources('AWS::IAM::Policy'))
        .filter((policy) => JSON.stringify(policy).includes(action))
        .map((policy) => (policy.Properties as { Roles: unknown }).Roles);
    const launcherRole = [{ Ref: expect.stringMatching(/^DatabaseMigrateLauncherServiceRole/) as unknown }];
    expect(statementsWith('secretsmanager:GetSecretValue')).toEqual([launcherRole]);
    expect(
      policyStatementsOf(template, id(synthesized.stack.database.migrationLauncher)).filter((statement) =>
        JSON.stringify(statement).includes('lambda:InvokeFunction'),
      ),
    ).toEqual([
      {
        Action: 'lambda:InvokeFunction',
        Effect: 'Allow',
        Resource: { Ref: expect.stringMatching(/^DatabaseMigrateCurrentVersion/) as unknown },
      },
    ]);
  });

  it('puts no secret value in the template: one dynamic reference, resolved by CloudFormation for the database', () => {
    expect(secretReferences(template)).toEqual({
      'AWS::RDS::DBInstance': {
        'Fn::Join': [
          '',
          [
            '{{resolve:secretsmanager:',
            { Ref: expect.stringMatching(/^TestDatabaseInstanceSecret/) as unknown },
            ':SecretString:password::}}',
          ],
        ],
      },
    });
    expect(JSON.stringify(template.toJSON().Outputs)).not.toMatch(/secret/i);
  });
});

/**
 * Where the template mentions secret material: the resources holding a dynamic reference (the value is resolved by
 * CloudFormation at deploy time, never written into the template), with that reference. No function environment
 * may carry one.
 */
function secretReferences(from: Template): Record<string, unknown> {
  const resources = from.toJSON().Resources as Record<
    string,
    { Type: string; Properties?: Record<string, unknown> }
  >;
  const holders = Object.values(resources).filter((resource) =>
    JSON.stringify(resource).includes('{{resolve:secretsmanager:'),
  );
  for (const fn of Object.values(from.findResources('AWS::Lambda::Function'))) {
    expect(JSON.stringify((fn.Properties as { Environment?: unknown }).Environment ?? {})).not.toMatch(
      /resolve:secretsmanager|SecretString|password/i,
    );
  }
  return Object.fromEntries(
    holders.map((resource) => [resource.Type, resource.Properties?.MasterUserPassword]),
  );
}

describe('database (-c database=serverless: Aurora Serverless v2)', () => {
  let serverless: Synthesized;
  beforeAll(() => {
    serverless = synthesize({ database: 'serverless' });
  });

  it('is Aurora PostgreSQL 17 with a minimum of 0 ACU, auto-pause after 5 minutes, IAM auth, encrypted, backed up', () => {
    serverless.template.hasResource('AWS::RDS::DBCluster', {
      DeletionPolicy: 'RetainExceptOnCreate',
      Properties: Match.objectLike({
        Engine: 'aurora-postgresql',
        EngineVersion: Match.stringLikeRegexp('^17\\.'),
        ServerlessV2ScalingConfiguration: { MinCapacity: 0, MaxCapacity: 2, SecondsUntilAutoPause: 300 },
        EnableIAMDatabaseAuthentication: true,
        StorageEncrypted: true,
        BackupRetentionPeriod: 7,
        DeletionProtection: false,
        DatabaseName: 'idrl',
        Port: 5432,
      }),
    });
    serverless.template.resourceCountIs('AWS::RDS::DBInstance', 1);
    serverless.template.hasResourceProperties('AWS::RDS::DBInstance', {
      Engine: 'aurora-postgresql',
      DBInstanceClass: 'db.serverless',
      PubliclyAccessible: false,
    });
    serverless.template.hasResource('AWS::SecretsManager::Secret', {
      DeletionPolicy: 'RetainExceptOnCreate',
    });
    expect(secretReferences(serverless.template)).toEqual({
      'AWS::RDS::DBCluster': {
        'Fn::Join': [
          '',
          [
            '{{resolve:secretsmanager:',
            { Ref: expect.stringMatching(/^TestDatabaseClusterSecret/) as unknown },
            ':SecretString:password::}}',
          ],
        ],
      },
    });
    expect(
      Object.keys(
        serverless.template.findResources('AWS::EC2::VPCEndpoint', {
          Properties: { VpcEndpointType: 'Interface' },
        }),
      ),
    ).toEqual([]);
  });

  it('tells every database function that the database pauses, and gives API routes time for the resume', () => {
    const { stack, template: cluster } = serverless;
    const clusterId = logicalId(stack, present(stack.database.cluster));
    const listTasks = present(stack.api.routeFunctions.get('list-tasks'));
    // The sweep usually meets a paused cluster and has 60 s: it waits longer for the resume than a route may.
    for (const [fn, resumeWait] of [
      [listTasks, '15'],
      [stack.worker.function, '15'],
      [stack.sweeper.function, '45'],
    ] as const) {
      expect(propertiesOf(cluster, logicalId(stack, fn)).Environment).toEqual({
        Variables: expect.objectContaining({
          DB_HOST: { 'Fn::GetAtt': [clusterId, 'Endpoint.Address'] },
          DB_AUTO_PAUSE: 'true',
          DB_RESUME_WAIT_SECONDS: resumeWait,
          DB_IAM_AUTH: 'true',
        }) as unknown,
      });
    }
    expect(propertiesOf(cluster, logicalId(stack, listTasks)).Timeout).toBe(28);
    expect(
      propertiesOf(template, id(present(synthesized.stack.api.routeFunctions.get('list-tasks')))).Timeout,
    ).toBe(10);
    // Each sweep wakes the cluster: daily instead of hourly.
    cluster.hasResourceProperties('AWS::Events::Rule', { ScheduleExpression: 'rate(1 day)' });
    template.hasResourceProperties('AWS::Events::Rule', { ScheduleExpression: 'rate(1 hour)' });
  });

  it('runs the migrations after the cluster and its writer exist', () => {
    const { stack, template: cluster } = serverless;
    const trigger = Object.values(cluster.findResources('Custom::Trigger'))[0];
    const writer = Object.keys(cluster.findResources('AWS::RDS::DBInstance'))[0];
    expect(trigger?.DependsOn).toEqual(
      expect.arrayContaining([logicalId(stack, present(stack.database.cluster)), writer]),
    );
    expect(propertiesOf(cluster, logicalId(stack, stack.database.migrationLauncher)).Environment).toEqual({
      Variables: expect.objectContaining({
        DB_SECRET_ARN: { Ref: expect.stringMatching(/^DatabaseClusterSecretAttachment/) as unknown },
      }) as unknown,
    });
  });

  it('refuses an auto-pause delay Aurora would reject or a warm pool would outlast', () => {
    expect(() =>
      synthesize({ database: 'serverless', databaseAutoPauseAfter: Duration.seconds(30) }),
    ).toThrow(
      "The auto-pause delay must be between 300000 ms (5 minutes, and longer than the pool's 60000 ms idle timeout) and 24 hours, got 30000 ms",
    );
  });
});
