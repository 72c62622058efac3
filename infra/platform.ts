import { type App, Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { PerClientWebAcl } from './constructs/waf';
import { IdrlStack, type IdrlStackProps } from './stack';

/** CloudFront's web ACLs (scope CLOUDFRONT) exist only in US East (N. Virginia). */
export const WAF_REGION = 'us-east-1';

/** The account and region a deploy targets: the CLI's profile (CDK_DEFAULT_ACCOUNT, CDK_DEFAULT_REGION). */
export interface DeployTarget {
  account?: string;
  region?: string;
}

/**
 * The CDN's web ACL in us-east-1 (docs/infra.md, "Per-client limits: WAF at the CDN"): a stack of its own, which the
 * platform's stack references across regions (CDK's `crossRegionReferences`: an SSM parameter in us-east-1, read by a
 * custom resource in the platform's region).
 */
export class EdgeWafStack extends Stack {
  readonly perClientLimits: PerClientWebAcl;

  constructor(scope: Construct, id: string, props: StackProps) {
    super(scope, id, { ...props, crossRegionReferences: true });
    this.perClientLimits = new PerClientWebAcl(this, 'PerClientLimits');
  }
}

/**
 * The app's stacks: the platform, environment-agnostic as it has always been; with `waf`, also the web ACL's stack,
 * and then both need the target's region at synth (a cross-region reference cannot be environment-agnostic).
 */
export function addPlatform(
  app: App,
  props: IdrlStackProps & { stackName: string; waf?: boolean },
  target: DeployTarget,
): { platform: IdrlStack; waf?: EdgeWafStack } {
  const { waf, ...platformProps } = props;
  if (waf !== true) return { platform: new IdrlStack(app, props.stackName, platformProps) };
  if (target.region === undefined || target.region === '')
    throw new Error(
      "-c waf=true needs the target region at synth (AWS_REGION or the profile's region): the web ACL lives in us-east-1 and the stack refers to it across regions",
    );
  const edge = new EdgeWafStack(app, `${props.stackName}Waf`, {
    env: { account: target.account, region: WAF_REGION },
    description: 'IDRL video platform: the CDN web ACL of the per-client limits (us-east-1)',
  });
  const platform = new IdrlStack(app, props.stackName, {
    ...platformProps,
    env: { account: target.account, region: target.region },
    crossRegionReferences: true,
    webAclArn: edge.perClientLimits.webAcl.attrArn,
  });
  return { platform, waf: edge };
}
