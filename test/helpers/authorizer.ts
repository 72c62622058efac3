/** The API's one authorizer, run on a token as the gateway runs it in front of a route (integration tests). */
import type { APIGatewayRequestAuthorizerEventV2 } from 'aws-lambda';
import { handler as authorizer } from '#functions/api/authorizer';
import { apiEvent, testContext } from '#test/helpers/api-gateway';

/** The authorizer's decision for a request to GET /api/tasks that carries `token` (none: no header). */
export async function authorize(token: string | undefined) {
  const event = apiEvent({
    method: 'GET',
    route: '/api/tasks',
    headers: token === undefined ? {} : { authorization: `Bearer ${token}` },
  });
  const authorizerEvent: APIGatewayRequestAuthorizerEventV2 = {
    version: '2.0',
    type: 'REQUEST',
    routeArn: 'arn:aws:execute-api:us-east-1:000000000000:test/$default/GET/api/tasks',
    identitySource: token === undefined ? [] : [`Bearer ${token}`],
    routeKey: event.routeKey,
    rawPath: event.rawPath,
    rawQueryString: event.rawQueryString,
    cookies: [],
    headers: event.headers,
    requestContext: event.requestContext,
    stageVariables: {},
  };
  return authorizer(authorizerEvent, testContext('authorizer'));
}
