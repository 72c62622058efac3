import * as wafv2 from 'aws-cdk-lib/aws-wafv2';
import { Construct } from 'constructs';
import { perClientRules } from '#functions/routes';
import { REFUSAL_BODIES, perClientWafRules } from './waf-rules';

/**
 * The CDN's web ACL (`-c waf=true`, docs/infra.md "Per-client limits: WAF at the CDN"): CLOUDFRONT scope, so it must
 * be created in us-east-1 whatever the platform's region. Everything not refused by a per-client rule is allowed.
 */
export class PerClientWebAcl extends Construct {
  readonly webAcl: wafv2.CfnWebACL;

  constructor(scope: Construct, id: string) {
    super(scope, id);
    this.webAcl = new wafv2.CfnWebACL(this, 'WebAcl', {
      description: 'IDRL video platform: per-client limits of functions/routes.ts',
      scope: 'CLOUDFRONT',
      defaultAction: { allow: {} },
      customResponseBodies: REFUSAL_BODIES,
      rules: perClientWafRules(perClientRules),
      visibilityConfig: {
        cloudWatchMetricsEnabled: true,
        metricName: 'idrl-per-client',
        sampledRequestsEnabled: true,
      },
    });
  }
}
