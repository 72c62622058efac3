/**
 * The part of the Lambda API a function outside the VPC uses to reach one inside it: a synchronous
 * `Invoke` (POST /2015-03-31/functions/{name}/invocations), answered for the local stack's invocable
 * functions with Lambda's own status codes, headers and error payloads, so @aws-sdk/client-lambda and
 * functions/adapters/lambda/ run unchanged against it (LAMBDA_ENDPOINT). The caller's SigV4 signature (with the
 * stack's own keys) and its role's `lambda:InvokeFunction` are checked by the gateway (its `iam` option,
 * infra/local/iam/aws-call.ts) before this answers; without that option the gateway refuses every Invoke. Not
 * emulated: asynchronous invocation, qualifiers. A function beyond its reserved concurrency
 * answers 429 TooManyRequestsException (FunctionThrottledError of runtime/function-host.ts).
 */
import type { Context } from 'aws-lambda';
import { type LocalFunction, invoke } from './lambda-context';
import { FunctionThrottledError } from './runtime/function-host';

/** A function invoked directly (not through a route): any JSON event in, any JSON result out. */
export type InvocableHandler = (event: unknown, context: Context) => Promise<unknown>;

interface LambdaApiResponse {
  statusCode: number;
  headers: Record<string, string>;
  body: Buffer;
}

const INVOCATIONS_PATH = /^\/2015-03-31\/functions\/([^/]+)\/invocations$/;

/** `name`, or the name inside `arn:aws:lambda:<region>:<account>:function:<name>[:<qualifier>]`. */
function functionNameOf(identifier: string): string {
  const arn = /^arn:[^:]+:lambda:[^:]*:[^:]*:function:([^:]+)(?::[^:]+)?$/.exec(identifier);
  return arn?.[1] ?? identifier;
}

function jsonAnswer(
  statusCode: number,
  body: unknown,
  headers: Record<string, string> = {},
): LambdaApiResponse {
  return {
    statusCode,
    headers: { 'content-type': 'application/json', ...headers },
    body: Buffer.from(JSON.stringify(body)),
  };
}

/** A service error as the SDK reads it: the type in x-amzn-errortype, the message in the body. */
function serviceError(statusCode: number, type: string, message: string): LambdaApiResponse {
  return jsonAnswer(statusCode, { Type: 'User', message }, { 'x-amzn-errortype': type });
}

/** The path is an Invoke call: its function's name (decoded); otherwise undefined. */
export function invocationTarget(method: string, path: string): string | undefined {
  const match = method === 'POST' ? INVOCATIONS_PATH.exec(path) : null;
  return match?.[1] === undefined ? undefined : functionNameOf(decodeURIComponent(match[1]));
}

/**
 * Runs one synchronous invocation. As on Lambda, a function that throws is still a 200, with
 * X-Amz-Function-Error and `{ errorType, errorMessage, trace }` as the payload.
 */
export async function answerInvocation(input: {
  name: string;
  functions: ReadonlyMap<string, InvocableHandler>;
  invocationType: string | undefined;
  body: Buffer;
  fn: (name: string) => LocalFunction;
}): Promise<LambdaApiResponse> {
  const handler = input.functions.get(input.name);
  if (handler === undefined)
    return serviceError(404, 'ResourceNotFoundException', `Function not found: ${input.name}`);
  if ((input.invocationType ?? 'RequestResponse') !== 'RequestResponse')
    return serviceError(
      400,
      'InvalidParameterValueException',
      'Only RequestResponse invocations are served locally',
    );
  let event: unknown;
  try {
    event = input.body.length === 0 ? {} : JSON.parse(input.body.toString('utf8'));
  } catch {
    return serviceError(400, 'InvalidRequestContentException', 'Could not parse request body into json');
  }
  const executed = { 'x-amz-executed-version': '$LATEST' };
  try {
    const result = await invoke(input.fn(input.name), (context) => handler(event, context));
    return jsonAnswer(200, result ?? null, executed);
  } catch (error) {
    // Beyond its reserved concurrency Lambda refuses the call itself: no function error, a 429.
    if (error instanceof FunctionThrottledError)
      return serviceError(429, 'TooManyRequestsException', error.message);
    const failure = error instanceof Error ? error : new Error(String(error));
    return jsonAnswer(
      200,
      { errorType: failure.name, errorMessage: failure.message, trace: (failure.stack ?? '').split('\n') },
      { ...executed, 'x-amz-function-error': 'Unhandled' },
    );
  }
}
