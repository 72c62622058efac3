import { describe, expect, it } from 'vitest';
import { openApiDocument } from '#commons/openapi';
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
