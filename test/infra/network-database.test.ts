import { RemovalPolicy } from 'aws-cdk-lib';
import { Match, type Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { logicalId, propertiesOf, synthesize, type Synthesized } from '#test/infra/synth';

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
          Action: ['s3:GetObject', 's3:PutObject', 's3:DeleteObject'],
          Resource: {
            'Fn::Join': ['', [{ 'Fn::GetAtt': [id(synthesized.stack.storage.bucket), 'Arn'] }, '/*']],
          },
        },
      ],
    });
  });

  it('has exactly one interface endpoint, Secrets Manager, in one subnet, open to the migration trigger only', () => {
    const endpoints = template.findResources('AWS::EC2::VPCEndpoint', {
      Properties: { VpcEndpointType: 'Interface' },
    });
    expect(Object.values(endpoints)).toHaveLength(1);
    const endpoint = Object.values(endpoints)[0]?.Properties as {
      ServiceName: unknown;
      PrivateDnsEnabled: boolean;
      SubnetIds: unknown[];
    };
    expect(endpoint.ServiceName).toEqual({
      'Fn::Join': ['', ['com.amazonaws.', { Ref: 'AWS::Region' }, '.secretsmanager']],
    });
    expect(endpoint.PrivateDnsEnabled).toBe(true);
    expect(endpoint.SubnetIds).toHaveLength(1);
    const rules = securityGroupRules('Secrets Manager interface endpoint');
    expect(rules.ingress).toEqual([
      {
        IpProtocol: 'tcp',
        FromPort: 443,
        ToPort: 443,
        GroupId: expect.anything() as unknown,
        SourceSecurityGroupId: {
          'Fn::GetAtt': [id(synthesized.stack.network.secretsClientSecurityGroup), 'GroupId'],
        },
        Description: 'HTTPS from the migration trigger',
      },
    ]);
    expect(rules.egress).toEqual(NO_EGRESS);
  });

  it('logs rejected traffic to a log group with retention', () => {
    template.hasResourceProperties('AWS::EC2::FlowLog', {
      TrafficType: 'REJECT',
      LogDestinationType: 'cloud-watch-logs',
    });
  });
});

describe('database', () => {
  it('is PostgreSQL 17 on a private, encrypted, backed-up t4g.micro with IAM authentication', () => {
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
    });
  });

  it('keeps a final snapshot on stack deletion by default and deletes it with removalPolicy destroy', () => {
    template.hasResource('AWS::RDS::DBInstance', {
      DeletionPolicy: 'Snapshot',
      UpdateReplacePolicy: 'Snapshot',
    });

    // Prepare + Act
    const { template: destroyed } = synthesize({ removalPolicy: RemovalPolicy.DESTROY });

    // Assess
    destroyed.hasResource('AWS::RDS::DBInstance', { DeletionPolicy: 'Delete' });
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

  it('runs the migrations on deploy after the instance and the Secrets Manager endpoint exist', () => {
    const trigger = Object.values(template.findResources('Custom::Trigger'))[0];
    const migrateId = id(synthesized.stack.database.migrationFunction);
    expect(trigger?.DependsOn).toEqual(
      expect.arrayContaining([
        id(synthesized.stack.database.instance),
        id(synthesized.stack.network.secretsManagerEndpoint),
      ]),
    );
    expect(trigger?.Properties).toMatchObject({
      HandlerArn: { Ref: expect.stringMatching(/^DatabaseMigrateCurrentVersion/) as unknown },
      InvocationType: 'RequestResponse',
    });
    expect(migrateId).toMatch(/^DatabaseMigrate/);
    template.hasResourceProperties('AWS::Lambda::Function', {
      Timeout: 300,
      Environment: {
        Variables: Match.objectLike({
          DB_SECRET_ARN: { Ref: Match.stringLikeRegexp('^DatabaseInstanceSecretAttachment') },
          DB_HOST: { 'Fn::GetAtt': [id(synthesized.stack.database.instance), 'Endpoint.Address'] },
          DB_NAME: 'idrl',
          DB_USER: 'idrl_app',
          NODE_EXTRA_CA_CERTS: '/var/runtime/ca-cert.pem',
        }),
      },
      VpcConfig: {
        SecurityGroupIds: [
          { 'Fn::GetAtt': [id(synthesized.stack.network.databaseClientSecurityGroup), 'GroupId'] },
          { 'Fn::GetAtt': [id(synthesized.stack.network.secretsClientSecurityGroup), 'GroupId'] },
        ],
        SubnetIds: Match.anyValue(),
      },
    });
  });

  it('lets only the migration function read the master secret', () => {
    const secretReaders = Object.values(template.findResources('AWS::IAM::Policy')).filter((policy) =>
      JSON.stringify(policy).includes('secretsmanager:GetSecretValue'),
    );
    expect(secretReaders.map((policy) => (policy.Properties as { Roles: unknown }).Roles)).toEqual([
      [{ Ref: expect.stringMatching(/^DatabaseMigrateServiceRole/) as unknown }],
    ]);
  });
});
