/**
 * The per-client limits of functions/routes.ts as AWS WAF rules (pure: no construct, so unit tests run it without
 * loading the CDK).
 */
import type * as wafv2 from 'aws-cdk-lib/aws-wafv2';
import { PER_CLIENT_REFUSAL_MESSAGE, type PerClientRule } from '#functions/routes';

/** The key of the one response body every per-client rule answers with. */
export const REFUSAL_BODY_KEY = 'per-client-refusal';

/** The web ACL's response bodies: the API's JSON error shape, with the local gateway's message. */
export const REFUSAL_BODIES: Record<string, wafv2.CfnWebACL.CustomResponseBodyProperty> = {
  [REFUSAL_BODY_KEY]: {
    contentType: 'APPLICATION_JSON',
    content: JSON.stringify({ message: PER_CLIENT_REFUSAL_MESSAGE }),
  },
};

/**
 * How a path is compared: percent-decoded and normalized (`//`, `./`, `../` removed) first, so a spelling API Gateway
 * would still route to the same function is counted by the same rule.
 */
const PATH_TRANSFORMATIONS: wafv2.CfnWebACL.TextTransformationProperty[] = [
  { priority: 0, type: 'URL_DECODE' },
  { priority: 1, type: 'NORMALIZE_PATH' },
];

/** `{name}` (one path segment) as a regular expression; every other character literally. */
function pathPattern(path: string): string {
  const segments = path
    .split('/')
    .map((segment) =>
      /^\{[A-Za-z0-9_]+\}$/.test(segment) ? '[^/]+' : segment.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'),
    );
  return `^${segments.join('/')}$`;
}

/** Requests to one route: its method, and its path (exactly, or by pattern where it has parameters). */
function routeStatement(routeKey: string): wafv2.CfnWebACL.StatementProperty {
  const [method, path, ...rest] = routeKey.split(' ');
  if (method === undefined || path === undefined || rest.length > 0 || !path.startsWith('/'))
    throw new Error(`A per-client rule names "${routeKey}": expected "METHOD /path"`);
  const methodMatch: wafv2.CfnWebACL.StatementProperty = {
    byteMatchStatement: {
      fieldToMatch: { method: {} },
      positionalConstraint: 'EXACTLY',
      searchString: method,
      textTransformations: [{ priority: 0, type: 'NONE' }],
    },
  };
  const pathMatch: wafv2.CfnWebACL.StatementProperty = path.includes('{')
    ? {
        regexMatchStatement: {
          fieldToMatch: { uriPath: {} },
          regexString: pathPattern(path),
          textTransformations: PATH_TRANSFORMATIONS,
        },
      }
    : {
        byteMatchStatement: {
          fieldToMatch: { uriPath: {} },
          positionalConstraint: 'EXACTLY',
          searchString: path,
          textTransformations: PATH_TRANSFORMATIONS,
        },
      };
  return { andStatement: { statements: [methodMatch, pathMatch] } };
}

/** The statement that scopes a rule to its routes: one route's, or any of them. */
function scopeDown(rule: PerClientRule): wafv2.CfnWebACL.StatementProperty {
  const statements = rule.routes.map(routeStatement);
  const [only] = statements;
  if (only === undefined) throw new Error(`Per-client rule ${rule.name} names no route`);
  return statements.length === 1 ? only : { orStatement: { statements } };
}

/**
 * The WAF rules of the per-client limits (functions/routes.ts, `perClientRules`): one rate-based rule per limit,
 * counting requests per client IP (the viewer's address: CloudFront is the web ACL's resource) to the rule's routes
 * over its window, and blocking the excess with a 429, `Retry-After` and the API's JSON error. WAF blocks until the
 * client's count over the trailing window falls below the limit, so the window is the longest wait it can mean.
 */
export function perClientWafRules(rules: readonly PerClientRule[]): wafv2.CfnWebACL.RuleProperty[] {
  return rules.map((rule, priority) => ({
    name: `per-client-${rule.name}`,
    priority,
    action: {
      block: {
        customResponse: {
          responseCode: 429,
          customResponseBodyKey: REFUSAL_BODY_KEY,
          responseHeaders: [{ name: 'Retry-After', value: String(rule.windowSeconds) }],
        },
      },
    },
    statement: {
      rateBasedStatement: {
        aggregateKeyType: 'IP',
        limit: rule.limit,
        evaluationWindowSec: rule.windowSeconds,
        scopeDownStatement: scopeDown(rule),
      },
    },
    visibilityConfig: {
      cloudWatchMetricsEnabled: true,
      metricName: `per-client-${rule.name}`,
      sampledRequestsEnabled: true,
    },
  }));
}
