import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it, vi } from 'vitest';
import { contentSecurityPolicy, handler, storageSources } from '#functions/api/console';
import { ORIGIN_VERIFY_HEADER, ORIGIN_VERIFY_VARIABLE } from '#core/edge-origin';
import { consoleBundle } from '#web/console-bundle.generated';

// The console's module reads its environment at import, as on Lambda: the template gives it these two.
vi.hoisted(() => {
  process.env.BUCKET_NAME = 'idrl-videos-test';
  process.env.AWS_REGION = 'us-east-1';
});

function event(overrides: { file?: string; headers?: Record<string, string> } = {}): APIGatewayProxyEventV2 {
  return {
    version: '2.0',
    routeKey: overrides.file === undefined ? 'GET /' : 'GET /assets/{file}',
    rawPath: overrides.file === undefined ? '/' : `/assets/${overrides.file}`,
    rawQueryString: '',
    headers: overrides.headers ?? {},
    pathParameters: overrides.file === undefined ? undefined : { file: overrides.file },
    isBase64Encoded: false,
  } as APIGatewayProxyEventV2;
}

async function serve(
  overrides?: Parameters<typeof event>[0],
): Promise<APIGatewayProxyStructuredResultV2 & { headers: Record<string, string> }> {
  return (await handler(event(overrides))) as APIGatewayProxyStructuredResultV2 & {
    headers: Record<string, string>;
  };
}

function assetNamed(extension: string): string {
  const name = Object.keys(consoleBundle.assets).find((each) => each.endsWith(extension));
  if (name === undefined) throw new Error(`no ${extension} asset in the bundle`);
  return name;
}

describe('console handler', () => {
  it('serves the page with a strict CSP, security headers and revalidation', async () => {
    // Act
    const response = await serve();

    // Assess
    expect(response).toEqual({
      statusCode: 200,
      headers: {
        'content-type': 'text/html; charset=utf-8',
        'content-security-policy': contentSecurityPolicy(storageSources(process.env)),
        'cache-control': 'no-cache',
        etag: consoleBundle.html.etag,
        vary: 'Accept-Encoding',
        'x-content-type-options': 'nosniff',
        'referrer-policy': 'no-referrer',
        'cross-origin-resource-policy': 'same-origin',
        'cross-origin-opener-policy': 'same-origin',
        'x-frame-options': 'DENY',
        'permissions-policy': 'camera=(), microphone=(), geolocation=(), payment=(), usb=()',
        'strict-transport-security': 'max-age=31536000; includeSubDomains',
      },
      body: consoleBundle.html.body,
    });
  });

  it('links the page to its content-hashed script, stylesheet and icon', () => {
    // Assess
    for (const name of Object.keys(consoleBundle.assets))
      expect(consoleBundle.html.body).toContain(`/assets/${name}`);
    expect(consoleBundle.html.body).not.toMatch(/<script>|<style>|style=/);
  });

  it.each([
    ['.js', 'text/javascript; charset=utf-8'],
    ['.css', 'text/css; charset=utf-8'],
    ['.svg', 'image/svg+xml'],
  ])(
    'serves the %s asset with its content type, cached for a year as immutable',
    async (extension, contentType) => {
      // Prepare
      const name = assetNamed(extension);

      // Act
      const response = await serve({ file: name });

      // Assess
      expect(response).toEqual({
        statusCode: 200,
        headers: {
          'content-type': contentType,
          'cache-control': 'public, max-age=31536000, immutable',
          etag: consoleBundle.assets[name]?.etag,
          vary: 'Accept-Encoding',
          'x-content-type-options': 'nosniff',
          'referrer-policy': 'no-referrer',
          'cross-origin-resource-policy': 'same-origin',
        },
        body: consoleBundle.assets[name]?.body,
      });
    },
  );

  it('compresses the script with gzip when the browser accepts it', async () => {
    // Prepare
    const name = assetNamed('.js');

    // Act
    const response = await serve({ file: name, headers: { 'accept-encoding': 'gzip, deflate, br' } });

    // Assess
    expect(response.statusCode).toBe(200);
    expect(response.isBase64Encoded).toBe(true);
    expect(response.headers['content-encoding']).toBe('gzip');
    expect(gunzipSync(Buffer.from(response.body ?? '', 'base64')).toString('utf8')).toBe(
      consoleBundle.assets[name]?.body,
    );
  });

  it('answers 304 without a body when the browser already has this version', async () => {
    // Act
    const response = await serve({ headers: { 'if-none-match': `W/"stale", ${consoleBundle.html.etag}` } });

    // Assess
    expect(response.statusCode).toBe(304);
    expect(response.body).toBeUndefined();
    expect(response.headers.etag).toBe(consoleBundle.html.etag);
  });

  it('answers 404 JSON for an asset that is not in the bundle', async () => {
    // Act
    const response = await serve({ file: 'constructor' });

    // Assess
    expect(response).toEqual({
      statusCode: 404,
      headers: {
        'content-type': 'application/json',
        'cache-control': 'no-store',
        'x-content-type-options': 'nosniff',
        'referrer-policy': 'no-referrer',
        'cross-origin-resource-policy': 'same-origin',
      },
      body: JSON.stringify({ message: 'Not found' }),
    });
  });
});

describe('the console behind the CDN', () => {
  it("answers 403 unless the CDN's origin header carries the secret", async () => {
    // Prepare
    vi.stubEnv(ORIGIN_VERIFY_VARIABLE, 'stack-uuid');

    try {
      // Act
      const direct = await serve();
      const throughCdn = await serve({ headers: { [ORIGIN_VERIFY_HEADER]: 'stack-uuid' } });

      // Assess
      expect([direct.statusCode, direct.body]).toEqual([403, '{"message":"Forbidden"}']);
      expect(throughCdn.statusCode).toBe(200);
    } finally {
      vi.unstubAllEnvs();
    }
  });
});

describe('storageSources', () => {
  const bucket = { BUCKET_NAME: 'idrl-videos-abc' };

  it("allows only this deployment's bucket on its regional S3 endpoint when S3 is AWS itself", () => {
    expect(storageSources({ ...bucket, AWS_REGION: 'us-east-1' })).toEqual([
      'https://idrl-videos-abc.s3.us-east-1.amazonaws.com',
    ]);
  });

  it('allows exactly the endpoint origin for a path-style S3-compatible endpoint', () => {
    expect(
      storageSources({ ...bucket, S3_ENDPOINT: 'http://localhost:4569/', S3_FORCE_PATH_STYLE: 'true' }),
    ).toEqual(['http://localhost:4569']);
  });

  it("also allows the bucket's subdomain of the endpoint with virtual-hosted addressing", () => {
    expect(storageSources({ ...bucket, S3_ENDPOINT: 'https://storage.example.com' })).toEqual([
      'https://storage.example.com',
      'https://idrl-videos-abc.storage.example.com',
    ]);
  });

  it.each([{}, { BUCKET_NAME: 'idrl-videos-abc' }])(
    'fails at cold start without the bucket or, on AWS, the region: %j',
    (env) => {
      expect(() => storageSources(env)).toThrow(
        /^Environment variable (BUCKET_NAME|AWS_REGION) is required$/,
      );
    },
  );

  it.each(['localhost:4569 ', 'not a url'])(
    'fails at cold start on an S3_ENDPOINT that is not an http(s) URL: %j',
    (endpoint) => {
      expect(() => storageSources({ ...bucket, S3_ENDPOINT: endpoint })).toThrow(
        new Error(`Environment variable S3_ENDPOINT must be an http(s) URL, got "${endpoint.trim()}"`),
      );
    },
  );
});

describe('contentSecurityPolicy', () => {
  it("allows code only from the console origin, media from storage and the pilot's own files, images and uploads from storage", () => {
    expect(contentSecurityPolicy(['http://localhost:4569'])).toBe(
      "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' http://localhost:4569; media-src blob: http://localhost:4569; " +
        "connect-src 'self' http://localhost:4569; form-action 'none'; base-uri 'none'; frame-ancestors 'none'; " +
        "require-trusted-types-for 'script'; trusted-types 'none'",
    );
  });
});
