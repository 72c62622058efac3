import { InvokeCommand, type LambdaClient } from '@aws-sdk/client-lambda';

/** Lambda's answer to a synchronous invocation: `functionError` is set when the function threw. */
export interface InvocationAnswer {
  functionError?: string;
  payload: string;
}

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
