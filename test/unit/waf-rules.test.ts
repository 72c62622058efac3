import { describe, expect, it } from 'vitest';
import {
  MIN_PER_CLIENT_LIMIT,
  PER_CLIENT_REFUSAL_MESSAGE,
  PER_CLIENT_WINDOWS_SECONDS,
  type PerClientRule,
  perClientRules,
} from '#functions/routes';
import { REFUSAL_BODIES, REFUSAL_BODY_KEY, perClientWafRules } from '#infra/constructs/waf-rules';

const PATH_TRANSFORMATIONS = [
  { priority: 0, type: 'URL_DECODE' },
  { priority: 1, type: 'NORMALIZE_PATH' },
];

const methodIs = (method: string) => ({
  byteMatchStatement: {
    fieldToMatch: { method: {} },
    positionalConstraint: 'EXACTLY',
    searchString: method,
    textTransformations: [{ priority: 0, type: 'NONE' }],
  },
});

describe('per-client rules → AWS WAF rules', () => {
  it('makes a rate-based rule per client IP, scoped to the method and exact path, refusing with 429 and Retry-After', () => {
    // Prepare
    const rule: PerClientRule = {
      name: 'signup',
      limit: 10,
      windowSeconds: 600,
      routes: ['POST /api/auth/signup'],
    };

    // Act
    const [translated, ...others] = perClientWafRules([rule]);

    // Assess
    expect(others).toEqual([]);
    expect(translated).toEqual({
      name: 'per-client-signup',
      priority: 0,
      action: {
        block: {
          customResponse: {
            responseCode: 429,
            customResponseBodyKey: REFUSAL_BODY_KEY,
            responseHeaders: [{ name: 'Retry-After', value: '600' }],
          },
        },
      },
      statement: {
        rateBasedStatement: {
          aggregateKeyType: 'IP',
          limit: 10,
          evaluationWindowSec: 600,
          scopeDownStatement: {
            andStatement: {
              statements: [
                methodIs('POST'),
                {
                  byteMatchStatement: {
                    fieldToMatch: { uriPath: {} },
                    positionalConstraint: 'EXACTLY',
                    searchString: '/api/auth/signup',
                    textTransformations: PATH_TRANSFORMATIONS,
                  },
                },
              ],
            },
          },
        },
      },
      visibilityConfig: {
        cloudWatchMetricsEnabled: true,
        metricName: 'per-client-signup',
        sampledRequestsEnabled: true,
      },
    });
    expect(REFUSAL_BODIES[REFUSAL_BODY_KEY]).toEqual({
      contentType: 'APPLICATION_JSON',
      content: JSON.stringify({ message: PER_CLIENT_REFUSAL_MESSAGE }),
    });
  });

  it('counts several routes in one rule (any of them), a path parameter as one segment of a pattern', () => {
    // Prepare
    const rule: PerClientRule = {
      name: 'voting',
      limit: 100,
      windowSeconds: 300,
      routes: ['POST /api/public/videos/{id}/vote', 'DELETE /api/public/videos/{id}/vote'],
    };
    const votePath = {
      regexMatchStatement: {
        fieldToMatch: { uriPath: {} },
        regexString: '^/api/public/videos/[^/]+/vote$',
        textTransformations: PATH_TRANSFORMATIONS,
      },
    };

    // Act
    const [translated] = perClientWafRules([rule]);
    const pattern = new RegExp(votePath.regexMatchStatement.regexString);

    // Assess
    expect(translated?.statement).toEqual({
      rateBasedStatement: {
        aggregateKeyType: 'IP',
        limit: 100,
        evaluationWindowSec: 300,
        scopeDownStatement: {
          orStatement: {
            statements: [
              { andStatement: { statements: [methodIs('POST'), votePath] } },
              { andStatement: { statements: [methodIs('DELETE'), votePath] } },
            ],
          },
        },
      },
    });
    expect(
      [
        '/api/public/videos/7/vote',
        '/api/public/videos/7/vote/x',
        '/api/public/videos/7/votes',
        '/api/public/videos//vote',
      ].map((path) => pattern.test(path)),
    ).toEqual([true, false, false, false]);
  });

  it('refuses a rule whose route is not "METHOD /path", or that names none', () => {
    expect(() =>
      perClientWafRules([{ name: 'bad', limit: 10, windowSeconds: 60, routes: ['/api/auth/signup'] }]),
    ).toThrow('A per-client rule names "/api/auth/signup": expected "METHOD /path"');
    expect(() => perClientWafRules([{ name: 'empty', limit: 10, windowSeconds: 60, routes: [] }])).toThrow(
      'Per-client rule empty names no route',
    );
  });

  it("keeps every rule of functions/routes.ts within WAF's bounds, each route in one rule only", () => {
    // Act
    const routeKeys = perClientRules.flatMap((rule) => rule.routes);
    const translated = perClientWafRules(perClientRules);

    // Assess: a limit of at least 10, an allowed window, names WAF accepts and metrics of their own.
    for (const rule of perClientRules) {
      expect(rule.limit).toBeGreaterThanOrEqual(MIN_PER_CLIENT_LIMIT);
      expect(PER_CLIENT_WINDOWS_SECONDS).toContain(rule.windowSeconds);
      expect(rule.name).toMatch(/^[a-z0-9-]{1,100}$/);
    }
    expect(routeKeys.every((key) => /^(GET|POST|PATCH|DELETE) \/\S*$/.test(key))).toBe(true);
    expect(new Set(routeKeys).size).toBe(routeKeys.length);
    expect(new Set(translated.map((rule) => rule.name)).size).toBe(perClientRules.length);
    expect(translated.map((rule) => rule.priority)).toEqual(perClientRules.map((_rule, index) => index));
  });
});
