import { Duration, Stack, Validations } from 'aws-cdk-lib';
import type * as apigwv2 from 'aws-cdk-lib/aws-apigatewayv2';
import * as cloudfront from 'aws-cdk-lib/aws-cloudfront';
import * as origins from 'aws-cdk-lib/aws-cloudfront-origins';
import { Construct } from 'constructs';
import { ORIGIN_VERIFY_HEADER } from '#core/edge-origin';

/** CloudFront's spelling of the header functions/core/client-address.ts reads (header names are case-insensitive). */
export const VIEWER_ADDRESS_HEADER_NAME = 'CloudFront-Viewer-Address';

export interface CdnProps {
  /** The HTTP API that serves both the JSON API and the console: the distribution's one origin. */
  readonly httpApi: apigwv2.IHttpApi;
  /**
   * The value CloudFront sends in ORIGIN_VERIFY_HEADER with every request to the API, which the API's functions
   * require (functions/core/edge-origin.ts): the API answers only through the distribution.
   */
  readonly originSecret: string;
  /** @default PriceClass.PRICE_CLASS_100 (North America and Europe edges: the cheapest) */
  readonly priceClass?: cloudfront.PriceClass;
  /** A CLOUDFRONT-scope WAF web ACL (the per-client limits, infra/constructs/waf.ts). @default - none */
  readonly webAclArn?: string;
}

/** Paths whose answers are the same for everyone and say so with Cache-Control (functions/commons/http.ts). */
export const CACHED_PATH_PATTERNS = ['/api/public/*', '/assets/*', '/v/*'] as const;
/**
 * Under a cached pattern but per caller: voting carries a Bearer token and must reach the API every time, with the
 * viewer's address (CloudFront-Viewer-Address) for its per-client count; a reported play is a POST (the cached
 * behaviour allows GET and HEAD only) whose viewer is the caller (the token or the viewer's address).
 */
export const PASS_THROUGH_PATH_PATTERNS = [
  '/api/public/videos/*/vote',
  '/api/public/videos/*/views',
] as const;

/**
 * CloudFront in front of the HTTP API (docs/infra.md, "CDN"): one origin for the browser (console and API on
 * the same host, so no CORS). Public GETs and console assets are cached as long as the origin's Cache-Control
 * allows (nothing without it); everything else passes through uncached, with every viewer header but Host
 * (API Gateway answers only to its own) — the Authorization header included.
 */
export class Cdn extends Construct {
  readonly distribution: cloudfront.Distribution;

  constructor(scope: Construct, id: string, props: CdnProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const origin = new origins.HttpOrigin(
      `${props.httpApi.apiId}.execute-api.${stack.region}.${stack.urlSuffix}`,
      {
        protocolPolicy: cloudfront.OriginProtocolPolicy.HTTPS_ONLY,
        originSslProtocols: [cloudfront.OriginSslPolicy.TLS_V1_2],
        // CloudFront overwrites a viewer's header of the same name: a client cannot supply its own.
        customHeaders: { [ORIGIN_VERIFY_HEADER]: props.originSecret },
      },
    );
    // Default TTL 0: an answer without Cache-Control (or with no-store) is never cached. The query string is
    // part of the key (pages, cursors); no header or cookie is, so no caller-specific value reaches a cached origin.
    const originCacheControl = new cloudfront.CachePolicy(this, 'OriginCacheControl', {
      comment: 'IDRL: cache public answers exactly as long as their Cache-Control says',
      defaultTtl: Duration.seconds(0),
      minTtl: Duration.seconds(0),
      maxTtl: Duration.days(365),
      queryStringBehavior: cloudfront.CacheQueryStringBehavior.all(),
      headerBehavior: cloudfront.CacheHeaderBehavior.none(),
      cookieBehavior: cloudfront.CacheCookieBehavior.none(),
      enableAcceptEncodingGzip: true,
      enableAcceptEncodingBrotli: true,
    });
    const cached: cloudfront.BehaviorOptions = {
      origin,
      viewerProtocolPolicy: cloudfront.ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
      allowedMethods: cloudfront.AllowedMethods.ALLOW_GET_HEAD,
      cachedMethods: cloudfront.CachedMethods.CACHE_GET_HEAD,
      cachePolicy: originCacheControl,
      compress: true,
    };
    const passThrough: cloudfront.BehaviorOptions = {
      origin,
      viewerProtocolPolicy: cloudfront.ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
      allowedMethods: cloudfront.AllowedMethods.ALLOW_ALL,
      cachePolicy: cloudfront.CachePolicy.CACHING_DISABLED,
      originRequestPolicy: cloudfront.OriginRequestPolicy.ALL_VIEWER_EXCEPT_HOST_HEADER,
    };
    // Voting counts requests per viewer address itself, and a play's viewer is its address when it carries no token
    // (functions/core/client-address.ts): their behaviour needs
    // CloudFront-Viewer-Address, which the managed AllViewerExceptHostHeader policy leaves out (it is allExcept
    // Host), and no policy can add a CloudFront header to "all but Host" (allViewerAndWhitelistCloudFront would
    // pass the viewer's Host, which API Gateway refuses). So the vote behaviour names what its routes read: the
    // viewer address in the origin request policy, Authorization in the cache key — the only way CloudFront
    // forwards it outside "all viewer headers". Nothing is cached: CloudFront caches no POST or DELETE answer,
    // and the routes have no GET; the 1 s maximum TTL only allows a header in the key.
    const votePassThrough: cloudfront.BehaviorOptions = {
      ...passThrough,
      cachePolicy: new cloudfront.CachePolicy(this, 'CallerKey', {
        comment: 'IDRL: forward Authorization to the vote and play routes (their answers are never cached)',
        defaultTtl: Duration.seconds(0),
        minTtl: Duration.seconds(0),
        maxTtl: Duration.seconds(1),
        queryStringBehavior: cloudfront.CacheQueryStringBehavior.none(),
        headerBehavior: cloudfront.CacheHeaderBehavior.allowList('Authorization'),
        cookieBehavior: cloudfront.CacheCookieBehavior.none(),
      }),
      originRequestPolicy: new cloudfront.OriginRequestPolicy(this, 'ViewerAddress', {
        comment:
          "IDRL: the viewer's address for the API's per-client count of votes and its viewers of plays",
        // User-Agent: part of an anonymous play's viewer (CloudFront sends its own unless it is forwarded).
        headerBehavior: cloudfront.OriginRequestHeaderBehavior.allowList(
          VIEWER_ADDRESS_HEADER_NAME,
          'User-Agent',
        ),
        queryStringBehavior: cloudfront.OriginRequestQueryStringBehavior.none(),
        cookieBehavior: cloudfront.OriginRequestCookieBehavior.none(),
      }),
    };
    // Behaviours are matched in this order: the pass-through patterns must precede /api/public/*.
    const additionalBehaviors: Record<string, cloudfront.BehaviorOptions> = {};
    for (const pattern of PASS_THROUGH_PATH_PATTERNS) additionalBehaviors[pattern] = votePassThrough;
    for (const pattern of CACHED_PATH_PATTERNS) additionalBehaviors[pattern] = cached;

    this.distribution = new cloudfront.Distribution(this, 'Distribution', {
      comment: 'IDRL video platform: console and API',
      defaultBehavior: passThrough,
      additionalBehaviors,
      priceClass: props.priceClass ?? cloudfront.PriceClass.PRICE_CLASS_100,
      httpVersion: cloudfront.HttpVersion.HTTP2_AND_3,
      webAclId: props.webAclArn,
    });
    if (props.webAclArn === undefined)
      Validations.of(this.distribution).acknowledge({
        id: 'AwsSolutions-CFR2',
        reason:
          'No WAF web ACL by default: $5/month plus $1 per rule with no traffic, against the idle-cost goal (docs/cost.md). The API stage throttles every route; -c waf=true adds the per-client limits as a web ACL.',
      });
    Validations.of(this.distribution).acknowledge(
      {
        id: 'AwsSolutions-CFR1',
        reason: 'The league gallery is public worldwide by design: no country is restricted.',
      },
      {
        id: 'AwsSolutions-CFR3',
        reason:
          'Standard logs need an ACL-enabled log bucket. Every request that reaches the origin is in the API access log; edge cache hits are counted by CloudFront metrics.',
      },
      {
        id: 'AwsSolutions-CFR4',
        reason:
          'The stack has no domain of its own, so the distribution uses the default *.cloudfront.net certificate, for which CloudFront fixes the viewer TLS policy. A custom domain with an ACM certificate can require TLSv1.2_2021.',
      },
    );
  }

  /** The browser's origin: the console and the API behind one host. */
  get url(): string {
    return `https://${this.distribution.distributionDomainName}`;
  }
}
