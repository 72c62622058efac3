import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { App } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { perClientRules } from '#functions/routes';
import { type EdgeWafStack, addPlatform } from '#infra/platform';
import type { IdrlStack } from '#infra/stack';
import { type NagResult, assemblyDir, logicalId, nagFindingsIn, propertiesOf } from '#test/infra/synth';

const TARGET = { account: '123456789012', region: 'eu-west-1' };

// Prepare + Act once per file: one synth of the app with -c waf=true, checked by cdk-nag.
const outdir = mkdtempSync(path.join(tmpdir(), 'idrl-waf-'));
let nag: NagResult;
let platform: IdrlStack;
let edge: EdgeWafStack;
beforeAll(() => {
  nag = nagFindingsIn(outdir, (app) => {
    const stacks = addPlatform(
      app,
      { stackName: 'Platform', waf: true, allowedOrigins: ['https://console.example.com'] },
      TARGET,
    );
    platform = stacks.platform;
    if (stacks.waf === undefined) throw new Error('waf=true made no web ACL stack');
    edge = stacks.waf;
  });
});
afterAll(() => {
  rmSync(outdir, { recursive: true, force: true });
});

describe('-c waf=true: the per-client limits as a CloudFront web ACL', () => {
  it('puts one CLOUDFRONT-scope web ACL in a us-east-1 stack, a rule per per-client rule of functions/routes.ts', () => {
    // Act
    const template = Template.fromStack(edge);

    // Assess
    expect([edge.region, platform.region]).toEqual(['us-east-1', TARGET.region]);
    template.resourceCountIs('AWS::WAFv2::WebACL', 1);
    template.hasResourceProperties('AWS::WAFv2::WebACL', {
      Scope: 'CLOUDFRONT',
      DefaultAction: { Allow: {} },
      CustomResponseBodies: {
        'per-client-refusal': {
          ContentType: 'APPLICATION_JSON',
          Content: Match.stringLikeRegexp('"message"'),
        },
      },
      Rules: perClientRules.map((rule, priority) => ({
        Name: `per-client-${rule.name}`,
        Priority: priority,
        Action: {
          Block: {
            CustomResponse: {
              ResponseCode: 429,
              CustomResponseBodyKey: 'per-client-refusal',
              ResponseHeaders: [{ Name: 'Retry-After', Value: String(rule.windowSeconds) }],
            },
          },
        },
        Statement: {
          RateBasedStatement: Match.objectEquals({
            AggregateKeyType: 'IP',
            Limit: rule.limit,
            EvaluationWindowSec: rule.windowSeconds,
            ScopeDownStatement: Match.anyValue(),
          }),
        },
        VisibilityConfig: Match.anyValue(),
      })),
    });
  });

  it("associates it with the platform's distribution through a cross-region reference", () => {
    // Act
    const template = Template.fromStack(platform);
    const config = propertiesOf(template, logicalId(platform, platform.cdn.distribution))
      .DistributionConfig as {
      WebACLId?: unknown;
    };

    // Assess
    template.resourceCountIs('Custom::CrossRegionExportReader', 1);
    expect(config.WebACLId).toEqual({
      'Fn::GetAtt': [
        expect.stringMatching(/^ExportsReader/),
        expect.stringMatching(/^\/cdk\/exports\/Platform\/.*PerClientLimitsWebAcl.*Arn/),
      ],
    });
  });

  it('leaves cdk-nag nothing unacknowledged in either stack', () => {
    expect(nag).toEqual({ synthError: undefined, findings: [] });
  });

  it('needs the target region at synth, which a cross-region reference cannot do without', () => {
    expect(() =>
      addPlatform(new App({ outdir: assemblyDir() }), { stackName: 'NoRegion', waf: true }, {}),
    ).toThrow(/^-c waf=true needs the target region at synth/);
  });

  it('without it, the app is the one environment-agnostic platform stack, as before', () => {
    // Act
    const app = new App({ outdir: assemblyDir(), context: { 'aws:cdk:bundling-stacks': [] } });
    const stacks = addPlatform(app, { stackName: 'Plain', waf: false }, TARGET);

    // Assess
    expect(stacks.waf).toBeUndefined();
    expect(app.node.children.map((child) => child.node.id)).toEqual(['Plain']);
    expect(stacks.platform.environment).toBe('aws://unknown-account/unknown-region');
  });
});
