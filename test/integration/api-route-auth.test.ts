import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { securityHeaders, type ApiHandler } from '#commons/http';
import { routes } from '#functions/routes';
import { invoke } from '#test/helpers/api-gateway';
import { INVALID_REQUEST } from '#test/helpers/contract';

/**
 * Generated from the route table, so a route added later is covered without touching this file:
 * the authorizer lets a request without a valid token through with an empty context (docs/api.md),
 * and only the route's own wrapper stands between it and the data.
 */
const authenticated = routes.filter((route) => route.auth);

/** The route's entry module, loaded as the local gateway loads it (infra/local/stack.ts). */
async function handlerOf(name: string): Promise<ApiHandler> {
  const module = (await import(`#functions/api/${name}`)) as { handler: ApiHandler };
  return module.handler;
}

describe('every route behind the authorizer', () => {
  it('is at least the task routes', () => {
    expect(authenticated.map((route) => route.name)).toEqual(
      expect.arrayContaining(['create-task', 'list-tasks', 'get-task', 'delete-task']),
    );
  });

  it.each(authenticated)(
    '$method $path answers the API 401 when the authorizer context is empty',
    async (route) => {
      // Prepare: every path parameter filled, and a JSON body for methods that carry one.
      const pathParameters = Object.fromEntries(
        [...route.path.matchAll(/\{(\w+)\}/g)].map(([, name]) => [name as string, randomUUID()]),
      );
      const handler = await handlerOf(route.name);

      // Act: the parameters and body are placeholders, outside the contract on purpose: the 401 comes first.
      const response = await invoke(
        handler,
        {
          method: route.method,
          route: route.path,
          pathParameters,
          body: route.method === 'GET' || route.method === 'DELETE' ? undefined : {},
        },
        INVALID_REQUEST,
      );

      // Assess
      expect(response).toEqual({
        statusCode: 401,
        headers: securityHeaders,
        body: { message: 'Unauthorized' },
      });
    },
  );
});
