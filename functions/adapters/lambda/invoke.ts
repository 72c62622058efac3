import { InvokeCommand, LambdaServiceException, type LambdaClient } from '@aws-sdk/client-lambda';
import { boundaryAnswer, errorOf } from '#core/boundary';
import { ServiceUnavailableError } from '#core/errors';
import { InvokedFunctionError } from '#core/platform-errors';
import type * as z from '#core/zod';

/** Lambda's answer to a synchronous invocation: `functionError` is set when the function threw. */
export interface InvocationAnswer {
  functionError?: string;
  payload: string;
}

/** Seconds before a retry when the invoked function is at its reserved concurrency. */
const THROTTLED_RETRY_AFTER_SECONDS = 5;

/**
 * One synchronous invocation (RequestResponse): how a function outside the VPC reaches one inside it
 * (docs/architecture.md, "The VPC boundary"). The local stack answers the same call for its functions
 * (infra/local/gateway.ts), so this runs unchanged in both worlds.
 */
export async function invokeSynchronously(
  client: LambdaClient,
  functionName: string,
  payload: string,
): Promise<InvocationAnswer> {
  const answer = await client.send(
    new InvokeCommand({
      FunctionName: functionName,
      InvocationType: 'RequestResponse',
      // No log tail in the answer: nothing of the invoked function's output travels back but its result.
      LogType: 'None',
      Payload: new TextEncoder().encode(payload),
    }),
  );
  return { functionError: answer.FunctionError, payload: new TextDecoder().decode(answer.Payload) };
}

function parsePayload(functionName: string, payload: string): unknown {
  try {
    return JSON.parse(payload) as unknown;
  } catch (error) {
    throw new InvokedFunctionError(`${functionName} answered no JSON`, { cause: error });
  }
}

/**
 * Invokes a function written with invocableHandler (functions/commons/invocable.ts) and returns its result,
 * checked against `result`. Its refusal is thrown as the request error it stands for; its failure (Lambda's
 * error payload, `{ errorType, errorMessage, trace }`) is an InvokedFunctionError naming the function and the
 * error, never the event; a function at its concurrency limit is a 503 to come back from.
 */
export async function invokeAcross<Schema extends z.ZodMiniType>(
  client: LambdaClient,
  functionName: string,
  event: unknown,
  result: Schema,
): Promise<z.output<Schema>> {
  let answer: InvocationAnswer;
  try {
    answer = await invokeSynchronously(client, functionName, JSON.stringify(event));
  } catch (error) {
    if (error instanceof LambdaServiceException && error.name === 'TooManyRequestsException')
      throw new ServiceUnavailableError(`${functionName} is at its concurrency limit`, {
        cause: error,
        retryAfterSeconds: THROTTLED_RETRY_AFTER_SECONDS,
      });
    throw error;
  }
  const payload = parsePayload(functionName, answer.payload);
  if (answer.functionError !== undefined) {
    const { errorType, errorMessage } = (payload ?? {}) as { errorType?: unknown; errorMessage?: unknown };
    throw new InvokedFunctionError(
      `${functionName} failed (${answer.functionError}): ${String(errorType)}: ${String(errorMessage)}`,
    );
  }
  const crossing = boundaryAnswer.safeParse(payload);
  if (!crossing.success) throw new InvokedFunctionError(`${functionName} answered no result`);
  if ('refusal' in crossing.data) throw errorOf(crossing.data.refusal);
  const value = result.safeParse(crossing.data.value);
  if (!value.success)
    throw new InvokedFunctionError(`${functionName} answered an unexpected result: ${value.error.message}`);
  return value.data;
}
