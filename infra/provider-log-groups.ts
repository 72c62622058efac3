import { type IAspect, CfnResource, RemovalPolicy } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import type { IConstruct } from 'constructs';

/**
 * Functions that CDK creates on its own (the S3 notification handler, the trigger and auto-delete providers)
 * would log to an implicit group that never expires. This aspect gives each one an explicit log group with
 * retention through LoggingConfig. Our own functions already set LoggingConfig and are left alone.
 */
export class ProviderLogGroups implements IAspect {
  constructor(private readonly retention: logs.RetentionDays) {}

  visit(node: IConstruct): void {
    if (!(node instanceof CfnResource) || node.cfnResourceType !== 'AWS::Lambda::Function') return;
    // Custom resource providers are raw CfnResources and never set LoggingConfig; L1 functions may have.
    if (node instanceof lambda.CfnFunction && node.loggingConfig !== undefined) return;
    const logGroup = new logs.LogGroup(node, 'LogGroup', {
      retention: this.retention,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    node.addPropertyOverride('LoggingConfig.LogGroup', logGroup.logGroupName);
  }
}
