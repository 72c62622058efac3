import { Duration, RemovalPolicy, Token, Validations } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as logs from 'aws-cdk-lib/aws-logs';
import * as rds from 'aws-cdk-lib/aws-rds';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as triggers from 'aws-cdk-lib/triggers';
import { Construct } from 'constructs';
import { POOL_IDLE_TIMEOUT_MS } from '#commons/config';
import { FunctionWithLogGroup, grantWithEnvironment, type ResourceUse } from './lambda-defaults';
import type { Network } from './network';

/** The PostgreSQL role the application connects as, through IAM database authentication. */
const APP_DB_USER = 'idrl_app';
const DATABASE_NAME = 'idrl';
const MASTER_USER = 'idrl_admin';
const POSTGRES_PORT = 5432;

/** `rds`: RDS PostgreSQL on one instance (the default). `serverless`: Aurora PostgreSQL Serverless v2 that pauses at 0 ACU. */
export type DatabaseOption = 'rds' | 'serverless';
export const DATABASE_OPTIONS: readonly DatabaseOption[] = ['rds', 'serverless'];

/**
 * How long a function waits for a pausing database to resume before answering 503 (functions/adapters/pg/resume.ts).
 * Aurora resumes in about 15 s, 30 s or more after a day asleep; the wait plus one connection attempt (5 s) and the
 * request's own queries must fit the HTTP API's 29 s integration limit, which {@link SERVERLESS_ROUTE_TIMEOUT} keeps.
 */
const SERVERLESS_RESUME_WAIT = Duration.seconds(15);
const SERVERLESS_ROUTE_TIMEOUT = Duration.seconds(28);
const INSTANCE_ROUTE_TIMEOUT = Duration.seconds(10);

export interface DatabaseProps {
  readonly network: Network;
  /** @default 'rds' */
  readonly option?: DatabaseOption;
  /** RDS only. @default InstanceType.of(InstanceClass.T4G, InstanceSize.MICRO) */
  readonly instanceType?: ec2.InstanceType;
  /** RDS only. @default 20 */
  readonly allocatedStorageGiB?: number;
  /** Serverless only: the capacity a busy cluster may grow to. @default 2 */
  readonly serverlessMaxCapacity?: number;
  /** Serverless only: idle time before the cluster pauses (5 minutes to 24 hours). @default Duration.minutes(5) */
  readonly autoPauseAfter?: Duration;
  /** RDS only: storage autoscaling grows the volume up to this when free space runs low. @default 100 */
  readonly maxAllocatedStorageGiB?: number;
  /** @default 7 */
  readonly backupRetentionDays?: number;
  /**
   * What `cdk destroy` does to the database. RETAIN_ON_UPDATE_OR_DELETE keeps it and its master secret (unless their
   * own creation rolls back); DESTROY deletes it, data included.
   * @default RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE
   */
  readonly removalPolicy?: RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE | RemovalPolicy.DESTROY;
  /** Also blocks the delete that rolls back a failed first deploy (docs/infra.md, "Removal policies"). @default false */
  readonly deletionProtection?: boolean;
  /** @default RetentionDays.ONE_MONTH */
  readonly logRetention?: logs.RetentionDays;
}

/** What the rest of the construct needs from either engine. */
interface Engine {
  readonly resource: Construct;
  readonly host: string;
  readonly port: string;
  readonly secret: secretsmanager.ISecret;
  readonly grantConnect: (grantee: iam.IGrantable, dbUser: string) => void;
}

/**
 * PostgreSQL 17 in the isolated subnets, encrypted, backed up, IAM authentication on, master password generated
 * into Secrets Manager: RDS on one instance, or Aurora Serverless v2 that pauses when idle
 * (docs/infra.md, "Two database options"). Migrations run on every deploy whose migration code changed,
 * through a CDK trigger that fails the deploy when they fail; no function in the VPC reads the secret.
 */
export class Database extends Construct {
  readonly option: DatabaseOption;
  /** The RDS instance (option `rds`). */
  readonly instance?: rds.DatabaseInstance;
  /** The Aurora cluster (option `serverless`). */
  readonly cluster?: rds.DatabaseCluster;
  /** Timeout of every API route that uses the database: room for a resume wait on the serverless option. */
  readonly routeTimeout: Duration;
  /** In the VPC: connects as the master user handed to it for one invocation. */
  readonly migrationFunction: FunctionWithLogGroup;
  /** Outside the VPC: reads the master secret and invokes {@link migrationFunction} with it. */
  readonly migrationLauncher: FunctionWithLogGroup;
  readonly migrationTrigger: triggers.Trigger;
  private readonly engine: Engine;

  constructor(scope: Construct, id: string, props: DatabaseProps) {
    super(scope, id);
    const { network } = props;
    this.option = props.option ?? 'rds';
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE;

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

    const common = {
      vpc: network.vpc,
      vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_ISOLATED },
      securityGroups: [securityGroup],
      port: POSTGRES_PORT,
      credentials: rds.Credentials.fromGeneratedSecret(MASTER_USER),
      iamAuthentication: true,
      storageEncrypted: true,
      deletionProtection: props.deletionProtection ?? false,
      removalPolicy,
    };
    const backupRetention = Duration.days(props.backupRetentionDays ?? 7);
    if (this.option === 'rds') {
      this.instance = new rds.DatabaseInstance(this, 'Instance', {
        ...common,
        engine: rds.DatabaseInstanceEngine.postgres({ version: rds.PostgresEngineVersion.VER_17 }),
        instanceType:
          props.instanceType ?? ec2.InstanceType.of(ec2.InstanceClass.T4G, ec2.InstanceSize.MICRO),
        databaseName: DATABASE_NAME,
        publiclyAccessible: false,
        storageType: rds.StorageType.GP3,
        allocatedStorage: props.allocatedStorageGiB ?? 20,
        // A full volume stops every write; autoscaling buys time, the free-storage alarm tells someone.
        maxAllocatedStorage: props.maxAllocatedStorageGiB ?? 100,
        backupRetention,
        multiAz: false,
        autoMinorVersionUpgrade: true,
      });
      this.engine = instanceEngine(this.instance);
      this.routeTimeout = INSTANCE_ROUTE_TIMEOUT;
    } else {
      const autoPauseAfter = props.autoPauseAfter ?? Duration.minutes(5);
      assertAutoPauseDelay(autoPauseAfter);
      this.cluster = new rds.DatabaseCluster(this, 'Cluster', {
        ...common,
        // 17.x supports a minimum of 0 ACU (auto-pause), as do 16.3+, 15.7+, 14.12+ and 13.15+.
        engine: rds.DatabaseClusterEngine.auroraPostgres({
          version: rds.AuroraPostgresEngineVersion.VER_17_9,
        }),
        writer: rds.ClusterInstance.serverlessV2('Writer', {
          publiclyAccessible: false,
          autoMinorVersionUpgrade: true,
        }),
        serverlessV2MinCapacity: 0,
        serverlessV2MaxCapacity: props.serverlessMaxCapacity ?? 2,
        serverlessV2AutoPauseDuration: autoPauseAfter,
        defaultDatabaseName: DATABASE_NAME,
        backup: { retention: backupRetention },
      });
      this.engine = clusterEngine(this.cluster);
      this.routeTimeout = SERVERLESS_ROUTE_TIMEOUT;
    }
    // CDK gives what a database stands in (its subnet group, a cluster's writer) DESTROY for any policy but RETAIN:
    // a retained database keeps them, so that it stays usable after the stack is gone.
    for (const child of this.engine.resource.node.findAll())
      if (child instanceof rds.CfnDBSubnetGroup || child instanceof rds.CfnDBInstance)
        child.applyRemovalPolicy(removalPolicy);
    // The master secret outlives a retained database: it is the only way back in as its owner.
    const generated = this.engine.resource.node.tryFindChild('Secret');
    if (!(generated instanceof secretsmanager.Secret)) throw new Error('The generated master secret moved');
    generated.applyRemovalPolicy(removalPolicy);
    this.acknowledgeAcceptedFindings(common.deletionProtection);

    this.migrationFunction = new FunctionWithLogGroup(this, 'Migrate', {
      entry: 'functions/ops/migrate.ts',
      serviceName: 'idrl-ops',
      description:
        'Applies the versioned PostgreSQL migrations as the master user handed over by the launcher',
      timeout: Duration.minutes(4),
      vpc: network.vpc,
      securityGroups: [network.databaseClientSecurityGroup],
      logRetention: props.logRetention,
      environment: { ...this.connectionEnvironment(), DB_MASTER_HANDOFF: 'true' },
    });
    this.migrationLauncher = new FunctionWithLogGroup(this, 'MigrateLauncher', {
      entry: 'functions/ops/migrate-launcher.ts',
      serviceName: 'idrl-ops',
      description:
        'Reads the database master secret and hands it to the in-VPC migration function (CDK trigger)',
      timeout: Duration.minutes(5),
      logRetention: props.logRetention,
    });
    // The launcher invokes the migrator's current version: a change of the migrations makes a new version, which
    // changes the launcher's configuration, hence its version, which is what re-runs the trigger.
    const migrator = this.migrationFunction.currentVersion;
    grantWithEnvironment(this.migrationLauncher, {
      environment: {
        DB_SECRET_ARN: this.engine.secret.secretArn,
        MIGRATE_FUNCTION_ARN: migrator.functionArn,
      },
      grant: (fn) => {
        this.engine.secret.grantRead(fn);
        // That version only, not `:*` (every version and alias) as grantInvoke would.
        fn.addToRolePolicy(
          new iam.PolicyStatement({
            actions: ['lambda:InvokeFunction'],
            resources: [migrator.functionArn],
          }),
        );
      },
    });

    this.migrationTrigger = new triggers.Trigger(this, 'MigrateOnDeploy', {
      handler: this.migrationLauncher,
      executeAfter: [this.engine.resource],
      executeOnHandlerChange: true,
      timeout: Duration.minutes(5),
    });
  }

  /**
   * What an application function needs: where PostgreSQL is, as which role, and `rds-db:connect` for that one
   * role (the token is signed locally with the function's credentials, so no endpoint is needed). Every such
   * function is created or updated only after the migrations ran: new code meets the new schema.
   */
  appUse(): ResourceUse {
    return {
      environment: { ...this.connectionEnvironment(), DB_IAM_AUTH: 'true' },
      grant: (fn) => {
        this.engine.grantConnect(fn, APP_DB_USER);
        this.migrationTrigger.executeBefore(fn);
      },
    };
  }

  private acknowledgeAcceptedFindings(deletionProtection: boolean): void {
    Validations.of(this.engine.resource).acknowledge(
      {
        id: 'AwsSolutions-RDS3',
        reason:
          'Single-AZ keeps the idle cost of a personal deployment low (Multi-AZ doubles the instance price); automated backups cover recovery. Set by the instance type and multiAz for production.',
      },
      {
        id: 'AwsSolutions-RDS11',
        reason:
          'A non-default port is obscurity, not protection: the database is in isolated subnets and its security group admits only the database client functions.',
      },
      // The generated secret is a child of the database.
      {
        id: 'AwsSolutions-SMG4',
        reason:
          'Only the migration launcher reads the master secret, once per deploy; the application authenticates with short-lived IAM tokens. Rotation would need a rotation Lambda that can reach both Secrets Manager and the database, i.e. an interface endpoint or a NAT gateway.',
      },
    );
    if (deletionProtection) return;
    Validations.of(this.engine.resource).acknowledge({
      id: 'AwsSolutions-RDS10',
      reason:
        'Deletion protection would also block the delete that rolls back a failed first deploy; the removal policy keeps the database on every CloudFormation delete but that one, and -c deletionProtection=true adds it once the stack exists (docs/infra.md, "Removal policies").',
    });
  }

  private connectionEnvironment(): Record<string, string> {
    return {
      DB_HOST: this.engine.host,
      DB_PORT: this.engine.port,
      DB_NAME: DATABASE_NAME,
      DB_USER: APP_DB_USER,
      // RDS's CA bundle ships in the Lambda runtime; verifying the server's TLS certificate needs it.
      NODE_EXTRA_CA_CERTS: '/var/runtime/ca-cert.pem',
      ...(this.option === 'serverless'
        ? { DB_AUTO_PAUSE: 'true', DB_RESUME_WAIT_SECONDS: String(SERVERLESS_RESUME_WAIT.toSeconds()) }
        : {}),
    };
  }
}

function instanceEngine(instance: rds.DatabaseInstance): Engine {
  const secret = instance.secret;
  if (!secret) throw new Error('The database instance was created without its generated master secret');
  return {
    resource: instance,
    host: instance.dbInstanceEndpointAddress,
    port: instance.dbInstanceEndpointPort,
    secret,
    grantConnect: (grantee, dbUser) => instance.grantConnect(grantee, dbUser),
  };
}

function clusterEngine(cluster: rds.DatabaseCluster): Engine {
  const secret = cluster.secret;
  if (!secret) throw new Error('The database cluster was created without its generated master secret');
  return {
    resource: cluster,
    host: cluster.clusterEndpoint.hostname,
    port: Token.asString(cluster.clusterEndpoint.port),
    secret,
    grantConnect: (grantee, dbUser) => cluster.grantConnect(grantee, dbUser),
  };
}

/**
 * Aurora accepts 5 minutes to 24 hours; and a warm process's pool must have let go of its connection before the
 * delay ends, or the cluster never pauses.
 */
function assertAutoPauseDelay(autoPauseAfter: Duration): void {
  const ms = autoPauseAfter.toMilliseconds();
  const lowest = Math.max(Duration.minutes(5).toMilliseconds(), POOL_IDLE_TIMEOUT_MS + 1);
  if (ms < lowest || ms > Duration.hours(24).toMilliseconds()) {
    throw new Error(
      `The auto-pause delay must be between ${lowest} ms (5 minutes, and longer than the pool's ${POOL_IDLE_TIMEOUT_MS} ms idle timeout) and 24 hours, got ${ms} ms`,
    );
  }
}
