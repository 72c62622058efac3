import { type Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { VIEWER_ADDRESS_HEADER } from '#core/client-address';
import { ORIGIN_VERIFY_HEADER, ORIGIN_VERIFY_VARIABLE } from '#core/edge-origin';
import { VIEWER_ADDRESS_HEADER_NAME } from '#infra/constructs/cdn';
import { logicalId, propertiesOf, synthesize, type Synthesized } from '#test/infra/synth';

// Prepare + Act once per file.
let synthesized: Synthesized;
let template: Template;
beforeAll(() => {
  synthesized = synthesize();
  template = synthesized.template;
});

// AWS-managed policy ids (CloudFront documentation, "Use managed cache/origin request policies").
const CACHING_DISABLED = '4135ea2d-6df8-44a3-9df3-4b5a84be39ad';
const ALL_VIEWER_EXCEPT_HOST_HEADER = 'b689b0a8-53d0-40ab-baf2-68738e2966ac';
const ALL_METHODS = ['GET', 'HEAD', 'OPTIONS', 'PUT', 'PATCH', 'POST', 'DELETE'];

interface Behavior {
  PathPattern?: string;
  AllowedMethods?: string[];
  CachePolicyId: unknown;
  OriginRequestPolicyId?: unknown;
  ViewerProtocolPolicy: string;
  TargetOriginId: string;
  Compress?: boolean;
}

function distributionConfig(): {
  Origins: {
    Id: string;
    DomainName: unknown;
    CustomOriginConfig: Record<string, unknown>;
    OriginCustomHeaders?: { HeaderName: string; HeaderValue: unknown }[];
  }[];
  DefaultCacheBehavior: Behavior;
  CacheBehaviors: Behavior[];
  PriceClass: string;
} {
  const distribution = synthesized.stack.cdn.distribution;
  return propertiesOf(template, logicalId(synthesized.stack, distribution)).DistributionConfig as ReturnType<
    typeof distributionConfig
  >;
}

/** The origin secret: the UUID part of the stack's id, which CloudFormation makes at creation. */
const STACK_UUID = { 'Fn::Select': [2, { 'Fn::Split': ['/', { Ref: 'AWS::StackId' }] }] };

const cachePolicyRef = (): unknown => ({ Ref: expect.stringMatching(/^CdnOriginCacheControl/) as unknown });

describe('CloudFront in front of the HTTP API and the console', () => {
  it('has the HTTP API as its one origin, over TLS 1.2 only', () => {
    const { Origins } = distributionConfig();
    expect(Origins).toEqual([
      {
        Id: expect.any(String) as unknown,
        DomainName: {
          'Fn::Join': [
            '',
            [
              { Ref: expect.stringMatching(/^ApiHttpApi/) as unknown },
              '.execute-api.',
              { Ref: 'AWS::Region' },
              '.',
              { Ref: 'AWS::URLSuffix' },
            ],
          ],
        },
        CustomOriginConfig: { OriginProtocolPolicy: 'https-only', OriginSSLProtocols: ['TLSv1.2'] },
        OriginCustomHeaders: [{ HeaderName: ORIGIN_VERIFY_HEADER, HeaderValue: STACK_UUID }],
      },
    ]);
  });

  it("is the API's only way in: every route function requires the origin secret the distribution sends", () => {
    // The execute-api endpoint is the distribution's origin (above), so it stays enabled: the functions refuse it.
    for (const fn of synthesized.stack.api.routeFunctions.values()) {
      const environment = (
        propertiesOf(template, logicalId(synthesized.stack, fn)).Environment as {
          Variables: Record<string, unknown>;
        }
      ).Variables;
      expect({ fn: fn.node.id, secret: environment[ORIGIN_VERIFY_VARIABLE] }).toEqual({
        fn: fn.node.id,
        secret: STACK_UUID,
      });
    }
    // Clients get the CDN's address: the API's own would answer 403.
    const outputs = template.toJSON().Outputs as Record<string, { Value: unknown }>;
    expect(outputs.ApiUrl?.Value).toEqual({
      'Fn::Join': [
        '',
        [
          'https://',
          { 'Fn::GetAtt': [logicalId(synthesized.stack, synthesized.stack.cdn.distribution), 'DomainName'] },
          '/',
        ],
      ],
    });
  });

  it('passes everything by default through uncached, with every viewer header but Host (Authorization too)', () => {
    const { DefaultCacheBehavior, Origins } = distributionConfig();
    expect(DefaultCacheBehavior).toEqual({
      AllowedMethods: ALL_METHODS,
      CachePolicyId: CACHING_DISABLED,
      OriginRequestPolicyId: ALL_VIEWER_EXCEPT_HOST_HEADER,
      ViewerProtocolPolicy: 'redirect-to-https',
      TargetOriginId: Origins[0]?.Id,
      Compress: true,
    });
  });

  it('caches public answers and console assets by their Cache-Control, votes and reported plays excepted and matched first', () => {
    const { CacheBehaviors, Origins } = distributionConfig();
    const origin = Origins[0]?.Id;
    const cached = (PathPattern: string) => ({
      PathPattern,
      AllowedMethods: ['GET', 'HEAD'],
      CachedMethods: ['GET', 'HEAD'],
      CachePolicyId: cachePolicyRef(),
      ViewerProtocolPolicy: 'redirect-to-https',
      TargetOriginId: origin,
      Compress: true,
    });
    // Voting and plays read the caller (Authorization) and the viewer's address, and cache nothing.
    const perCaller = (PathPattern: string) => ({
      PathPattern,
      AllowedMethods: ALL_METHODS,
      CachePolicyId: { Ref: expect.stringMatching(/^CdnCallerKey/) as unknown },
      OriginRequestPolicyId: { Ref: expect.stringMatching(/^CdnViewerAddress/) as unknown },
      ViewerProtocolPolicy: 'redirect-to-https',
      TargetOriginId: origin,
      Compress: true,
    });
    expect(CacheBehaviors).toEqual([
      perCaller('/api/public/videos/*/vote'),
      // A reported play is a POST, which the cached behaviour would refuse, and its viewer is the caller.
      perCaller('/api/public/videos/*/views'),
      cached('/api/public/*'),
      cached('/assets/*'),
      cached('/v/*'),
    ]);
  });

  it("gives the vote and play routes the viewer's address, user agent and the caller's token, and nothing else, never cached", () => {
    // The managed AllViewerExceptHostHeader policy forwards no CloudFront header: the per-client count of votes and an
    // anonymous play's viewer (functions/core/client-address.ts) would see no viewer address without this policy.
    const origin = Object.entries(template.findResources('AWS::CloudFront::OriginRequestPolicy'));
    expect(origin.map(([id, policy]) => [id, policy.Properties as unknown])).toEqual([
      [
        expect.stringMatching(/^CdnViewerAddress/),
        {
          OriginRequestPolicyConfig: {
            Name: expect.anything() as unknown,
            Comment: expect.any(String) as unknown,
            HeadersConfig: {
              HeaderBehavior: 'whitelist',
              Headers: ['CloudFront-Viewer-Address', 'User-Agent'],
            },
            QueryStringsConfig: { QueryStringBehavior: 'none' },
            CookiesConfig: { CookieBehavior: 'none' },
          },
        },
      ],
    ]);
    expect(VIEWER_ADDRESS_HEADER_NAME.toLowerCase()).toBe(VIEWER_ADDRESS_HEADER);
    const [callerKey] = Object.entries(template.findResources('AWS::CloudFront::CachePolicy')).filter(
      ([id]) => id.startsWith('CdnCallerKey'),
    );
    // Authorization reaches an origin only through a cache policy; POST and DELETE answers are never cached.
    expect(callerKey?.[1].Properties).toEqual({
      CachePolicyConfig: {
        DefaultTTL: 0,
        MinTTL: 0,
        MaxTTL: 1,
        Name: expect.anything() as unknown,
        Comment: expect.any(String) as unknown,
        ParametersInCacheKeyAndForwardedToOrigin: {
          QueryStringsConfig: { QueryStringBehavior: 'none' },
          HeadersConfig: { HeaderBehavior: 'whitelist', Headers: ['Authorization'] },
          CookiesConfig: { CookieBehavior: 'none' },
          EnableAcceptEncodingGzip: false,
          EnableAcceptEncodingBrotli: false,
        },
      },
    });
  });

  it('keys the cache on the path and query string only and caches nothing without Cache-Control', () => {
    const policies = Object.entries(template.findResources('AWS::CloudFront::CachePolicy'))
      .filter(([id]) => id.startsWith('CdnOriginCacheControl'))
      .map(([, policy]) => policy);
    expect(policies.map((policy) => policy.Properties as unknown)).toEqual([
      {
        CachePolicyConfig: {
          DefaultTTL: 0,
          MinTTL: 0,
          MaxTTL: 31_536_000,
          Name: expect.anything() as unknown,
          Comment: expect.any(String) as unknown,
          ParametersInCacheKeyAndForwardedToOrigin: {
            QueryStringsConfig: { QueryStringBehavior: 'all' },
            HeadersConfig: { HeaderBehavior: 'none' },
            CookiesConfig: { CookieBehavior: 'none' },
            EnableAcceptEncodingGzip: true,
            EnableAcceptEncodingBrotli: true,
          },
        },
      },
    ]);
  });

  it('outputs its URL and lets the console at that URL upload to the bucket', () => {
    const domain = { 'Fn::GetAtt': [expect.stringMatching(/^CdnDistribution/) as unknown, 'DomainName'] };
    expect((template.toJSON().Outputs as Record<string, { Value: unknown }>).ConsoleUrl?.Value).toEqual({
      'Fn::Join': ['', ['https://', domain]],
    });
    const bucket = Object.values(template.findResources('AWS::S3::Bucket'))
      .map(
        (resource) =>
          resource.Properties as { CorsConfiguration?: { CorsRules: { AllowedOrigins: unknown[] }[] } },
      )
      .find((properties) => properties.CorsConfiguration !== undefined);
    expect(bucket?.CorsConfiguration?.CorsRules.flatMap((rule) => rule.AllowedOrigins)).toContainEqual({
      'Fn::Join': ['', ['https://', domain]],
    });
  });

  it('has no WAF web ACL by default (-c waf=true adds one: test/infra/waf.test.ts)', () => {
    template.resourceCountIs('AWS::WAFv2::WebACL', 0);
    expect(distributionConfig()).not.toHaveProperty('WebACLId');
  });
});
