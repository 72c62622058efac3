import { Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import type * as logs from 'aws-cdk-lib/aws-logs';
import * as rds from 'aws-cdk-lib/aws-rds';
import * as triggers from 'aws-cdk-lib/triggers';
import { Construct } from 'constructs';
import { FunctionWithLogGroup, grantWithEnvironment, type ResourceUse } from './lambda-defaults';
import type { Network } from './network';

/** The PostgreSQL role the application connects as, through IAM database authentication. */
const APP_DB_USER = 'idrl_app';
const DATABASE_NAME = 'idrl';
const MASTER_USER = 'idrl_admin';
const POSTGRES_PORT = 5432;

export interface DatabaseProps {
  readonly network: Network;
  /** @default InstanceType.of(InstanceClass.T4G, InstanceSize.MICRO) */
  readonly instanceType?: ec2.InstanceType;
  /** @default 20 */
  readonly allocatedStorageGiB?: number;
  /** @default 7 */
  readonly backupRetentionDays?: number;
  /**
   * What `cdk destroy` does to the instance. SNAPSHOT keeps a final snapshot; DESTROY loses the data.
   * @default RemovalPolicy.SNAPSHOT
   */
  readonly removalPolicy?: RemovalPolicy;
  /** @default RetentionDays.ONE_MONTH */
  readonly logRetention?: logs.RetentionDays;
}

/**
 * RDS PostgreSQL 17 in the isolated subnets: encrypted, backed up, IAM authentication on, master password
 * generated into Secrets Manager. Migrations run on every deploy whose migration code changed, through a CDK
 * trigger that fails the deploy when they fail.
 */
export class Database extends Construct {
  readonly instance: rds.DatabaseInstance;
  readonly migrationFunction: FunctionWithLogGroup;
  readonly migrationTrigger: triggers.Trigger;

  constructor(scope: Construct, id: string, props: DatabaseProps) {
    super(scope, id);
    const { network } = props;

    const securityGroup = new ec2.SecurityGroup(this, 'SecurityGroup', {
      vpc: network.vpc,
      description: 'PostgreSQL: 5432 from the database client functions only',
      allowAllOutbound: false,
    });
    securityGroup.addIngressRule(
      network.databaseClientSecurityGroup,
      ec2.Port.tcp(POSTGRES_PORT),
      'PostgreSQL from database client functions',
    );

    const removalPolicy = props.removalPolicy ?? RemovalPolicy.SNAPSHOT;
    this.instance = new rds.DatabaseInstance(this, 'Instance', {
      engine: rds.DatabaseInstanceEngine.postgres({ version: rds.PostgresEngineVersion.VER_17 }),
      instanceType: props.instanceType ?? ec2.InstanceType.of(ec2.InstanceClass.T4G, ec2.InstanceSize.MICRO),
      vpc: network.vpc,
      vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_ISOLATED },
      securityGroups: [securityGroup],
      port: POSTGRES_PORT,
      databaseName: DATABASE_NAME,
      credentials: rds.Credentials.fromGeneratedSecret(MASTER_USER),
      iamAuthentication: true,
      publiclyAccessible: false,
      storageEncrypted: true,
      storageType: rds.StorageType.GP3,
      allocatedStorage: props.allocatedStorageGiB ?? 20,
      backupRetention: Duration.days(props.backupRetentionDays ?? 7),
      multiAz: false,
      autoMinorVersionUpgrade: true,
      // `cdk destroy` must work; the SNAPSHOT removal policy is what keeps the data (docs/infra.md).
      deletionProtection: false,
      removalPolicy,
    });

    const secret = this.instance.secret;
    if (!secret) throw new Error('The database instance was created without its generated master secret');
    this.acknowledgeAcceptedFindings();

    this.migrationFunction = new FunctionWithLogGroup(this, 'Migrate', {
      entry: 'functions/ops/migrate.ts',
      serviceName: 'idrl-ops',
      description: 'Applies the versioned PostgreSQL migrations on deploy (CDK trigger)',
      timeout: Duration.minutes(5),
      vpc: network.vpc,
      securityGroups: [network.databaseClientSecurityGroup, network.secretsClientSecurityGroup],
      logRetention: props.logRetention,
    });
    grantWithEnvironment(this.migrationFunction, {
      environment: { ...this.connectionEnvironment(), DB_SECRET_ARN: secret.secretArn },
      grant: (fn) => {
        secret.grantRead(fn);
      },
    });

    this.migrationTrigger = new triggers.Trigger(this, 'MigrateOnDeploy', {
      handler: this.migrationFunction,
      executeAfter: [this.instance, network.secretsManagerEndpoint],
      executeOnHandlerChange: true,
      timeout: Duration.minutes(5),
    });
  }

  /**
   * What an application function needs: where PostgreSQL is, as which role, and `rds-db:connect` for that one
   * role (the token is signed locally with the function's credentials, so no endpoint is needed).
   */
  appUse(): ResourceUse {
    return {
      environment: {
        ...this.connectionEnvironment(),
        DB_IAM_AUTH: 'true',
      },
      grant: (fn) => {
        this.instance.grantConnect(fn, APP_DB_USER);
      },
    };
  }

  private acknowledgeAcceptedFindings(): void {
    Validations.of(this.instance).acknowledge(
      {
        id: 'AwsSolutions-RDS3',
        reason:
          'Single-AZ keeps the idle cost of a personal deployment low (Multi-AZ doubles the instance price); automated backups cover recovery. Set by the instance type and multiAz for production.',
      },
      {
        id: 'AwsSolutions-RDS10',
        reason:
          '`cdk destroy` must be able to remove the stack; the SNAPSHOT removal policy (default) keeps a final snapshot instead.',
      },
      {
        id: 'AwsSolutions-RDS11',
        reason:
          'A non-default port is obscurity, not protection: the instance is in isolated subnets and its security group admits only the database client functions.',
      },
      // The generated secret is a child of the instance.
      {
        id: 'AwsSolutions-SMG4',
        reason:
          'Only the migration trigger uses the master secret, once per deploy; the application authenticates with short-lived IAM tokens. Rotation would need a rotation Lambda and another interface endpoint.',
      },
    );
  }

  private connectionEnvironment(): Record<string, string> {
    return {
      DB_HOST: this.instance.dbInstanceEndpointAddress,
      DB_PORT: this.instance.dbInstanceEndpointPort,
      DB_NAME: DATABASE_NAME,
      DB_USER: APP_DB_USER,
      // RDS's CA bundle ships in the Lambda runtime; verifying the server's TLS certificate needs it.
      NODE_EXTRA_CA_CERTS: '/var/runtime/ca-cert.pem',
    };
  }
}
