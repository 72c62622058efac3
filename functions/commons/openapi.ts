/**
 * The OpenAPI 3.1 document, generated from the route table and the zod schemas that validate
 * requests, so it cannot drift from what the handlers accept.
 */
import * as z from '#core/zod';
import {
  adminReportsQuery,
  adminReportsResponse,
  auditQuery,
  auditResponse,
  moderationRequest,
  reportRequest,
  reportResponse,
  createdTaskResponse,
  createTaskRequest,
  deleteAccountRequest,
  errorResponse,
  healthResponse,
  listTasksQuery,
  forgotPasswordRequest,
  myVotesQuery,
  myVotesResponse,
  pilotPageResponse,
  pilotParameters,
  loginRequest,
  resetPasswordRequest,
  meResponse,
  publicVideoListResponse,
  publicVideoResponse,
  publicVideosQuery,
  rankingsQuery,
  rankingsResponse,
  multipartUploadResponse,
  refreshRequest,
  signupRequest,
  signedPartsResponse,
  signPartsRequest,
  signupResponse,
  taskIdParameters,
  taskListResponse,
  taskResponse,
  tokenResponse,
  updateTaskRequest,
  verifyEmailRequest,
  voteResponse,
  uploadedPartsResponse,
  uploadParameters,
} from '#core/schemas';
import { routes } from '#functions/routes';

interface RouteSchemas {
  body?: z.ZodMiniType;
  query?: z.ZodMiniObject;
  params?: z.ZodMiniObject;
  /** Success status → response schema (undefined: no body). */
  responses: Record<number, z.ZodMiniType | undefined>;
  /** Error statuses this route can answer besides 500. */
  errors: number[];
}

/** The JSON API: every route under /api (the console's HTML routes are not part of it). */
type ApiRoute = Extract<(typeof routes)[number], { path: `/api/${string}` }>;

function isApiRoute(route: (typeof routes)[number]): route is ApiRoute {
  return route.path.startsWith('/api/');
}

const AUTH_ERRORS = [401];
/** The admin routes: 403 for everyone outside the league's admins group. */
const ADMIN_ERRORS = [...AUTH_ERRORS, 403];

/**
 * The routes that reach no dependency. Every other one reaches the database, Cognito or another AWS service and
 * answers 503 when that throttles or the database is waking up (functions/commons/http.ts, STATUS_BY_ERROR);
 * health documents its own 503.
 */
const WITHOUT_DEPENDENCIES: readonly ApiRoute['name'][] = ['health', 'openapi'];

/** Every API route must be described: the `satisfies` makes a new route without schemas a compile error. */
const routeSchemas = {
  signup: { body: signupRequest, responses: { 201: signupResponse }, errors: [400, 409, 413] },
  // 403: the account is suspended (Cognito's "User is disabled.").
  login: { body: loginRequest, responses: { 200: tokenResponse }, errors: [400, 401, 403, 413] },
  refresh: { body: refreshRequest, responses: { 200: tokenResponse }, errors: [400, 401, 403, 413] },
  logout: { body: refreshRequest, responses: { 204: undefined }, errors: [400, 413] },
  'forgot-password': { body: forgotPasswordRequest, responses: { 202: undefined }, errors: [400, 413] },
  'reset-password': { body: resetPasswordRequest, responses: { 204: undefined }, errors: [400, 413] },
  me: { responses: { 200: meResponse }, errors: [...AUTH_ERRORS] },
  'verify-email': {
    body: verifyEmailRequest,
    responses: { 204: undefined },
    errors: [400, ...AUTH_ERRORS, 409, 413],
  },
  'resend-verification': { responses: { 202: undefined }, errors: [...AUTH_ERRORS, 409, 429] },
  'delete-account': {
    body: deleteAccountRequest,
    responses: { 204: undefined },
    errors: [400, ...AUTH_ERRORS, 403, 413],
  },
  'create-task': {
    body: createTaskRequest,
    responses: { 201: createdTaskResponse },
    errors: [400, ...AUTH_ERRORS, 413],
  },
  'list-tasks': {
    query: listTasksQuery,
    responses: { 200: taskListResponse },
    errors: [400, ...AUTH_ERRORS],
  },
  'get-task': {
    params: taskIdParameters,
    responses: { 200: taskResponse },
    errors: [400, ...AUTH_ERRORS, 404],
  },
  'update-task': {
    params: taskIdParameters,
    body: updateTaskRequest,
    responses: { 200: taskResponse, 202: taskResponse },
    errors: [400, ...AUTH_ERRORS, 404, 409, 413, 429],
  },
  'delete-task': {
    params: taskIdParameters,
    responses: { 204: undefined },
    errors: [400, ...AUTH_ERRORS, 404],
  },
  'list-public-videos': {
    query: publicVideosQuery,
    responses: { 200: publicVideoListResponse },
    errors: [400],
  },
  'get-public-video': {
    params: taskIdParameters,
    responses: { 200: publicVideoResponse },
    errors: [400, 404],
  },
  'get-pilot': {
    params: pilotParameters,
    query: publicVideosQuery,
    responses: { 200: pilotPageResponse },
    errors: [400, 404],
  },
  // 202 whatever the video: counting is the views queue's consumer's (docs/api.md, "Views").
  'record-view': { params: taskIdParameters, responses: { 202: undefined }, errors: [400] },
  vote: {
    params: taskIdParameters,
    responses: { 201: voteResponse },
    errors: [400, ...AUTH_ERRORS, 403, 404, 409],
  },
  'withdraw-vote': {
    params: taskIdParameters,
    responses: { 204: undefined },
    errors: [400, ...AUTH_ERRORS, 403, 404],
  },
  'my-votes': { query: myVotesQuery, responses: { 200: myVotesResponse }, errors: [400, ...AUTH_ERRORS] },
  rankings: { query: rankingsQuery, responses: { 200: rankingsResponse }, errors: [400] },
  'retry-task': {
    params: taskIdParameters,
    responses: { 202: taskResponse },
    errors: [400, ...AUTH_ERRORS, 404, 409, 429],
  },
  'start-multipart-upload': {
    params: taskIdParameters,
    responses: { 201: multipartUploadResponse },
    errors: [400, ...AUTH_ERRORS, 404, 409],
  },
  'sign-upload-parts': {
    params: uploadParameters,
    body: signPartsRequest,
    responses: { 200: signedPartsResponse },
    errors: [400, ...AUTH_ERRORS, 404, 409, 413],
  },
  'list-upload-parts': {
    params: uploadParameters,
    responses: { 200: uploadedPartsResponse },
    errors: [400, ...AUTH_ERRORS, 404, 409],
  },
  'complete-multipart-upload': {
    params: uploadParameters,
    responses: { 200: taskResponse },
    errors: [400, ...AUTH_ERRORS, 404, 409, 413],
  },
  'report-video': {
    params: taskIdParameters,
    body: reportRequest,
    responses: { 201: reportResponse },
    errors: [400, ...AUTH_ERRORS, 403, 404, 409, 413],
  },
  'admin-reports': {
    query: adminReportsQuery,
    responses: { 200: adminReportsResponse },
    errors: [400, ...ADMIN_ERRORS],
  },
  'hide-video': {
    params: taskIdParameters,
    body: moderationRequest,
    responses: { 204: undefined },
    errors: [400, ...ADMIN_ERRORS, 404, 413],
  },
  'restore-video': {
    params: taskIdParameters,
    responses: { 204: undefined },
    errors: [400, ...ADMIN_ERRORS, 404],
  },
  'suspend-pilot': {
    params: pilotParameters,
    body: moderationRequest,
    responses: { 204: undefined },
    errors: [400, ...ADMIN_ERRORS, 404, 413],
  },
  'reinstate-pilot': {
    params: pilotParameters,
    responses: { 204: undefined },
    errors: [400, ...ADMIN_ERRORS, 404],
  },
  'annul-votes': {
    params: pilotParameters,
    body: moderationRequest,
    responses: { 204: undefined },
    errors: [400, ...ADMIN_ERRORS, 404, 413],
  },
  'audit-log': { query: auditQuery, responses: { 200: auditResponse }, errors: [400, ...ADMIN_ERRORS] },
  health: { responses: { 200: healthResponse, 503: healthResponse }, errors: [] },
  openapi: { responses: { 200: z.looseObject({ openapi: z.string() }) }, errors: [] },
} satisfies Record<ApiRoute['name'], RouteSchemas>;

const ERROR_DESCRIPTIONS: Record<number, string> = {
  400: 'Validation failed (malformed JSON, unknown or invalid fields)',
  401: 'Missing or invalid credentials',
  403: 'Not allowed for this caller (e.g. a vote for their own video or before the email is verified, a wrong password, not an admin)',
  404: 'Not found (or owned by someone else, or not published)',
  409: 'Already exists (e.g. a second vote), or the task is not in a state that allows this',
  413: 'Request body, declared upload or stored upload too large',
  429: 'Too many requests: the API stage throttles every route, signup, login, password reset, e-mail verification and voting are limited per client address, and a code resend within its interval is refused (with Retry-After)',
  500: 'Internal server error',
  503: 'Temporarily unavailable (a dependency throttles or wakes up): retry after Retry-After seconds',
};

type JsonSchema = Record<string, unknown>;

function jsonSchema(schema: z.ZodMiniType, io: 'input' | 'output'): JsonSchema {
  // The document declares its dialect once (OpenAPI 3.1 = JSON Schema 2020-12), not per schema.
  const generated: JsonSchema = z.toJSONSchema(schema, { io, unrepresentable: 'any' });
  delete generated.$schema;
  return generated;
}

function parameters(schema: z.ZodMiniObject | undefined, location: 'query' | 'path'): JsonSchema[] {
  if (schema === undefined) return [];
  const { properties = {}, required = [] } = jsonSchema(schema, 'input') as {
    properties?: Record<string, JsonSchema>;
    required?: string[];
  };
  return Object.entries(properties).map(([name, property]) => ({
    name,
    in: location,
    required: location === 'path' || required.includes(name),
    schema: property,
  }));
}

function json(schema: JsonSchema): JsonSchema {
  return { 'application/json': { schema } };
}

export function openApiDocument(serverUrl = '/'): JsonSchema {
  const paths: Record<string, Record<string, JsonSchema>> = {};
  for (const route of routes.filter(isApiRoute)) {
    const schemas: RouteSchemas = routeSchemas[route.name];
    const responses: Record<string, JsonSchema> = {};
    for (const [status, schema] of Object.entries(schemas.responses)) {
      responses[status] =
        schema === undefined
          ? { description: 'No content' }
          : { description: 'Success', content: json(jsonSchema(schema, 'output')) };
    }
    // Every route can be throttled by API Gateway or fail, and almost every one can find a dependency unavailable;
    // those need no per-route entry.
    const unavailable = WITHOUT_DEPENDENCIES.includes(route.name) ? [] : [503];
    for (const status of [...schemas.errors, 429, 500, ...unavailable]) {
      responses[String(status)] = {
        description: ERROR_DESCRIPTIONS[status],
        content: json({ $ref: '#/components/schemas/Error' }),
      };
    }
    const operations = (paths[route.path] ??= {});
    operations[route.method.toLowerCase()] = {
      operationId: route.name,
      summary: route.summary,
      // An explicit empty list: public operations need no credentials (the document has no global default).
      security: route.auth ? [{ bearer: [] }] : [],
      parameters: [...parameters(schemas.params, 'path'), ...parameters(schemas.query, 'query')],
      ...(schemas.body === undefined
        ? {}
        : { requestBody: { required: true, content: json(jsonSchema(schemas.body, 'input')) } }),
      responses,
    };
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'IDRL Video Platform API',
      version: '1.0.0',
      description: 'See docs/api.md for the rules behind each endpoint.',
      license: { name: 'Apache-2.0', identifier: 'Apache-2.0' },
    },
    servers: [{ url: serverUrl }],
    components: {
      securitySchemes: {
        bearer: {
          type: 'http',
          scheme: 'bearer',
          bearerFormat: 'JWT',
          description: 'Cognito access token from /api/auth/login',
        },
      },
      schemas: { Error: jsonSchema(errorResponse, 'output') },
    },
    paths,
  };
}
