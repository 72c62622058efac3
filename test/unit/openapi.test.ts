import { describe, expect, it } from 'vitest';
import { openApiDocument } from '#commons/openapi';
import { PASSWORD_PATTERN, signupRequest } from '#core/schemas';
import { routes } from '#functions/routes';

type Operation = {
  security?: unknown;
  requestBody?: {
    content: Record<string, { schema: { required?: string[]; additionalProperties?: boolean } }>;
  };
  parameters: { name: string; in: string }[];
  responses: Record<string, unknown>;
};

describe('openApiDocument', () => {
  const document = openApiDocument() as { openapi: string; paths: Record<string, Record<string, Operation>> };

  it('documents every /api route of the route table, secured exactly where the authorizer runs', () => {
    const apiRoutes = routes.filter((candidate) => candidate.path.startsWith('/api/'));
    const documented = Object.entries(document.paths).flatMap(([path, operations]) =>
      Object.keys(operations).map((method) => `${method.toUpperCase()} ${path}`),
    );
    expect(documented.sort()).toEqual(apiRoutes.map((route) => `${route.method} ${route.path}`).sort());
    for (const route of apiRoutes) {
      const operation = document.paths[route.path]?.[route.method.toLowerCase()];
      expect(operation?.security, route.name).toEqual(route.auth ? [{ bearer: [] }] : []);
      expect(Object.keys(operation?.responses ?? {}), route.name).toContain('500');
    }
  });

  it('describes the create-task body as strict with every field required', () => {
    const schema = document.paths['/api/tasks']?.post?.requestBody?.content['application/json']?.schema;
    expect(schema).toMatchObject({
      required: ['fileName', 'contentType', 'size'],
      additionalProperties: false,
    });
  });

  it('states the password rule as one anchored pattern that a validator reads as the API checks it', () => {
    // Prepare
    const body = document.paths['/api/auth/signup']?.post?.requestBody?.content['application/json']
      ?.schema as {
      properties: Record<string, Record<string, unknown>>;
    };
    const password = body.properties.password1 ?? {};
    // As Ajv and Prism compile a JSON Schema pattern: unanchored ECMA-262 with the u flag.
    const documented = new RegExp(String(password.pattern), 'u');
    const samples = ['Secret123', 'secret123', 'SECRET123', 'SecretOne', 'line\nBreak1', '1aA', 'Ωmega7x'];

    // Act
    const verdicts = samples.map((sample) => ({
      sample,
      documented: documented.test(sample),
      api:
        signupRequest
          .safeParse({ username: 'pilot', email: 'p@idrl.example', password1: sample, password2: sample })
          .error?.issues.every((issue) => !issue.message.startsWith('Must contain')) ?? true,
    }));

    // Assess: one pattern (no allOf of patterns, which Prism merges into one no string matches), the API's rule.
    expect(password).toMatchObject({ type: 'string', minLength: 8, pattern: PASSWORD_PATTERN });
    expect(password).not.toHaveProperty('allOf');
    // Nor anywhere else: a field with two regex checks would become such an allOf again.
    expect(JSON.stringify(document)).not.toContain('"allOf"');
    for (const verdict of verdicts) expect(verdict.documented, verdict.sample).toBe(verdict.api);
    expect(verdicts.filter((verdict) => verdict.documented).map((verdict) => verdict.sample)).toEqual([
      'Secret123',
      'line\nBreak1',
      '1aA',
    ]);
  });

  it('describes path and query parameters', () => {
    expect(document.paths['/api/tasks/{id}']?.get?.parameters).toEqual([
      expect.objectContaining({ name: 'id', in: 'path' }),
    ]);
    expect(document.paths['/api/tasks']?.get?.parameters.map((parameter) => parameter.name)).toEqual([
      'max',
      'order',
      'cursor',
    ]);
  });
});
