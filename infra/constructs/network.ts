import { RemovalPolicy } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { OBJECT_ACTIONS } from './storage';

export interface NetworkProps {
  /** Two AZs are the minimum an RDS subnet group accepts. @default 2 */
  readonly maxAzs?: number;
  /** Retention of the VPC flow log (rejected traffic only). @default RetentionDays.ONE_MONTH */
  readonly logRetention?: logs.RetentionDays;
}

/**
 * A VPC with private isolated subnets only: no NAT gateway, no internet gateway (docs/infra.md, "The VPC").
 * S3 is reached through a free gateway endpoint. There is no interface endpoint: functions in the VPC call S3
 * through the gateway endpoint and no other AWS API (the migration launcher reads the master secret from outside;
 * docs/infra.md, "Migrations without an interface endpoint").
 */
export class Network extends Construct {
  readonly vpc: ec2.Vpc;
  /** Carried by every function that talks to PostgreSQL; the database accepts 5432 from it alone. */
  readonly databaseClientSecurityGroup: ec2.SecurityGroup;
  readonly s3Endpoint: ec2.GatewayVpcEndpoint;

  constructor(scope: Construct, id: string, props: NetworkProps = {}) {
    super(scope, id);

    this.vpc = new ec2.Vpc(this, 'Vpc', {
      maxAzs: props.maxAzs ?? 2,
      natGateways: 0,
      subnetConfiguration: [{ name: 'isolated', subnetType: ec2.SubnetType.PRIVATE_ISOLATED, cidrMask: 24 }],
    });
    this.s3Endpoint = this.vpc.addGatewayEndpoint('S3', { service: ec2.GatewayVpcEndpointAwsService.S3 });

    // Rejected traffic only: enough to debug a security group, and next to nothing to ingest.
    const flowLogGroup = new logs.LogGroup(this, 'FlowLogs', {
      retention: props.logRetention ?? logs.RetentionDays.ONE_MONTH,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    this.vpc.addFlowLog('RejectedTraffic', {
      destination: ec2.FlowLogDestination.toCloudWatchLogs(flowLogGroup),
      trafficType: ec2.FlowLogTrafficType.REJECT,
    });

    this.databaseClientSecurityGroup = new ec2.SecurityGroup(this, 'DatabaseClients', {
      vpc: this.vpc,
      description: 'Lambda functions that connect to PostgreSQL',
      // Isolated subnets have no route out of the VPC: egress is bounded by the route tables, not this group.
      allowAllOutbound: true,
    });
  }

  /**
   * The gateway endpoint carries only the object actions the functions take on the project's bucket:
   * a function (or an ffmpeg it runs) holding credentials cannot read or write any other bucket
   * through it, and the VPC has no other way out to S3.
   */
  restrictS3To(bucket: s3.IBucket): void {
    this.s3Endpoint.addToPolicy(
      new iam.PolicyStatement({
        principals: [new iam.AnyPrincipal()],
        actions: [...OBJECT_ACTIONS],
        resources: [bucket.arnForObjects('*')],
      }),
    );
    // The bucket-level actions: ListBucket so a HeadObject of a missing upload answers 404, not 403 (the
    // sweeper and the worker, Storage.listUse), and the listing of unfinished multipart uploads (cancel, a
    // fresh upload, the sweeper). An endpoint policy that lacks one refuses it whatever the role allows.
    this.s3Endpoint.addToPolicy(
      new iam.PolicyStatement({
        principals: [new iam.AnyPrincipal()],
        actions: ['s3:ListBucket', 's3:ListBucketMultipartUploads'],
        resources: [bucket.bucketArn],
      }),
    );
  }
}
