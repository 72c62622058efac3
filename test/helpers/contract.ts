/**
 * The API contract as the suites check it: every request a test sends and every response it gets is validated
 * against the published OpenAPI 3.1 document (functions/commons/openapi.ts) with Ajv's JSON Schema 2020-12
 * validator, so the document and the handlers cannot drift apart unnoticed. The in-process `invoke`
 * (api-gateway.ts) and the e2e `callApi` (test/support/http-client.ts) call {@link checkExchange}.
 */
import { Ajv2020, type ErrorObject, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { openApiDocument } from '#commons/openapi';

type JsonSchema = Record<string, unknown>;

interface Parameter {
  name: string;
  in: 'path' | 'query';
  required: boolean;
  schema: JsonSchema;
}

interface Operation {
  operationId: string;
  parameters: Parameter[];
  requestBody?: { required: boolean; content: Record<string, { schema: JsonSchema }> };
  responses: Record<string, { content?: Record<string, { schema: JsonSchema }> }>;
}

interface Document {
  paths: Record<string, Record<string, Operation>>;
}

/** One call as a client made it: the document's path template is found from the concrete path. */
export interface Exchange {
  method: string;
  /** The concrete path as sent, e.g. /api/tasks/42 (no query string). */
  path: string;
  /**
   * The route as the gateway matched it, e.g. /api/tasks/{id}, with its path values: known for an in-process call,
   * whose path values need not form a path (a deliberately malformed id); otherwise found from `path`.
   */
  route?: { template: string; pathParameters: Record<string, string | undefined> };
  query?: Record<string, string | undefined>;
  /** The parsed JSON body, or undefined when none was sent. */
  body?: unknown;
  response: {
    status: number;
    /** The response's content-type header, if any. */
    contentType?: string;
    /** The parsed JSON body, or undefined for an empty body. */
    body?: unknown;
  };
}

export interface CheckOptions {
  /**
   * The test sends a request outside the contract on purpose (to see it refused): its request is not validated,
   * its response still is — the refusal must be documented.
   */
  invalidRequest?: boolean;
}

const document = openApiDocument() as unknown as Document;
const OPENAPI_SCHEMA_ANNOTATIONS = ['example', 'discriminator', 'xml', 'externalDocs'];
const DOCUMENT_ID = 'openapi.json';

/**
 * Two validators over the one document: the body validator leaves data as it is; the parameter validator
 * coerces, because path and query values arrive as strings and OpenAPI deserializes them into the schema's type.
 */
function validatorFor(coerceTypes: boolean): Ajv2020 {
  const ajv = new Ajv2020({ allErrors: true, coerceTypes, strict: true });
  addFormats(ajv);
  // Ajv compiles the root of a document it resolves a reference into: the OpenAPI object's own fields are not
  // schema keywords, and strict mode (kept for every schema in it) would refuse them.
  ajv.addVocabulary(Object.keys(document));
  // The annotations OpenAPI 3.1's Schema Object adds to JSON Schema 2020-12: they describe, they never validate.
  ajv.addVocabulary(OPENAPI_SCHEMA_ANNOTATIONS.filter((keyword) => !(keyword in document)));
  // The whole document, so that `#/components/schemas/...` inside an operation resolves as a client resolves it.
  ajv.addSchema(document, DOCUMENT_ID, undefined, false);
  return ajv;
}

const bodies = validatorFor(false);
const parameterValues = validatorFor(true);

/** Compiled once per worker, on first use. */
const compiled = new Map<string, ValidateFunction>();

/** A schema that refers to the document's own one at `segments` below the operation (a JSON pointer). */
function referenceTo(match: Match, ...segments: string[]): JsonSchema {
  const path = ['paths', match.template, match.method, ...segments]
    .map((segment) => segment.replaceAll('~', '~0').replaceAll('/', '~1'))
    .join('/');
  return { $ref: `${DOCUMENT_ID}#/${path}` };
}

function schemaAt(ajv: Ajv2020, key: string, schema: JsonSchema): ValidateFunction {
  let validate = compiled.get(key);
  if (validate === undefined) {
    validate = ajv.compile(schema);
    compiled.set(key, validate);
  }
  return validate;
}

interface Match {
  template: string;
  /** Lower case, as the document's operation keys. */
  method: string;
  operation: Operation;
  pathValues: Record<string, string | undefined>;
}

/** Path templates as patterns; a literal segment wins over a template's variable (OpenAPI's matching rule). */
const templates = Object.keys(document.paths)
  .map((template) => {
    const names: string[] = [];
    const source = template
      .split(/(\{\w+\})/)
      .map((part) => {
        const name = /^\{(\w+)\}$/.exec(part)?.[1];
        if (name === undefined) return part.replace(/[.*+?^$()|[\]\\]/g, '\\$&');
        names.push(name);
        return '([^/]+)';
      })
      .join('');
    return { template, names, pattern: new RegExp(`^${source}$`) };
  })
  .sort((a, b) => a.names.length - b.names.length);

function operationOf({ method, path, route }: Exchange): Match | string {
  if (route !== undefined) {
    const operation = document.paths[route.template]?.[method.toLowerCase()];
    if (operation === undefined) return `${method} ${route.template}: the document has no such operation`;
    return {
      template: route.template,
      method: method.toLowerCase(),
      operation,
      pathValues: route.pathParameters,
    };
  }
  for (const { template, names, pattern } of templates) {
    const values = pattern.exec(path);
    if (values === null) continue;
    const operation = document.paths[template]?.[method.toLowerCase()];
    if (operation === undefined) return `${method} ${path}: the document has no ${method} for ${template}`;
    const pathValues = Object.fromEntries(
      names.map((name, index) => [name, decodeURIComponent(values[index + 1] ?? '')]),
    );
    return { template, method: method.toLowerCase(), operation, pathValues };
  }
  return `${method} ${path}: no path of the document matches`;
}

function describeErrors(errors: ErrorObject[] | null | undefined): string {
  return (errors ?? [])
    .map(
      (error) =>
        `  ${error.instancePath || '(root)'} ${error.message ?? error.keyword} ${JSON.stringify(error.params)}`,
    )
    .join('\n');
}

function parameterProblems(
  key: string,
  operation: Operation,
  location: 'path' | 'query',
  values: object,
): string[] {
  const own = operation.parameters.filter((parameter) => parameter.in === location);
  const validate = schemaAt(parameterValues, `${key} ${location}`, {
    type: 'object',
    properties: Object.fromEntries(own.map((parameter) => [parameter.name, parameter.schema])),
    required: own.filter((parameter) => parameter.required).map((parameter) => parameter.name),
    // A parameter the document does not name is outside the contract, as an unknown body field is.
    additionalProperties: false,
  });
  // A copy: coercion writes into the object it validates.
  const defined = Object.entries(values).filter(([, value]) => value !== undefined);
  return validate(Object.fromEntries(defined))
    ? []
    : [`${location} parameters:\n${describeErrors(validate.errors)}`];
}

function requestProblems(key: string, match: Match, exchange: Exchange): string[] {
  const { operation } = match;
  const problems = [
    ...parameterProblems(key, operation, 'path', match.pathValues),
    ...parameterProblems(key, operation, 'query', exchange.query ?? {}),
  ];
  const media = operation.requestBody?.content['application/json'];
  if (media === undefined) {
    if (exchange.body !== undefined) problems.push('a body was sent; the operation takes none');
  } else if (exchange.body === undefined) {
    if (operation.requestBody?.required) problems.push('the operation requires a JSON body; none was sent');
  } else {
    const schema = referenceTo(match, 'requestBody', 'content', 'application/json', 'schema');
    const validate = schemaAt(bodies, `${key} request`, schema);
    if (!validate(exchange.body)) problems.push(`request body:\n${describeErrors(validate.errors)}`);
  }
  return problems;
}

function responseProblems(key: string, match: Match, exchange: Exchange): string[] {
  const { status, contentType, body } = exchange.response;
  const documented = match.operation.responses[String(status)];
  if (documented === undefined) {
    return [
      `status ${status} is not documented (documented: ${Object.keys(match.operation.responses).join(', ')})`,
    ];
  }
  const media = documented.content?.['application/json'];
  if (media === undefined)
    return body === undefined ? [] : [`status ${status} is documented without a body; one came`];
  if (body === undefined) return [`status ${status} is documented with a JSON body; none came`];
  const problems: string[] = [];
  if (contentType?.split(';')[0]?.trim().toLowerCase() !== 'application/json') {
    problems.push(`content-type ${contentType ?? '(none)'}, documented application/json`);
  }
  const schema = referenceTo(match, 'responses', String(status), 'content', 'application/json', 'schema');
  const validate = schemaAt(bodies, `${key} ${status}`, schema);
  if (!validate(body)) problems.push(`response body (${status}):\n${describeErrors(validate.errors)}`);
  return problems;
}

/**
 * The problems of one call against the document, each with what the document says; empty when the call is within
 * the contract.
 */
export function contractProblems(exchange: Exchange, options: CheckOptions = {}): string[] {
  const match = operationOf(exchange);
  if (typeof match === 'string') return [match];
  const key = `${exchange.method.toUpperCase()} ${match.template}`;
  return [
    ...(options.invalidRequest ? [] : requestProblems(key, match, exchange)),
    ...responseProblems(key, match, exchange),
  ];
}

/** Throws, naming the operation and every problem, unless the call is within the published contract. */
export function checkExchange(exchange: Exchange, options: CheckOptions = {}): void {
  const problems = contractProblems(exchange, options);
  if (problems.length === 0) return;
  const match = operationOf(exchange);
  const operation = typeof match === 'string' ? '' : ` (${match.operation.operationId}, ${match.template})`;
  throw new Error(
    `${exchange.method.toUpperCase()} ${exchange.path}${operation} → ${exchange.response.status} breaks the ` +
      `OpenAPI document:\n- ${problems.join('\n- ')}`,
  );
}

/** For a call that sends a request outside the contract on purpose (to see it refused). */
export const INVALID_REQUEST: CheckOptions = { invalidRequest: true };
