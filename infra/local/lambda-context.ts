/**
 * The Lambda `Context` the local stack hands to every handler invocation: the same fields Lambda
 * sets, and a real deadline so `getRemainingTimeInMillis()` (the worker's ffmpeg guard) counts
 * down exactly as it does on AWS.
 */
import { randomUUID } from 'node:crypto';
import type { Context } from 'aws-lambda';
import { FunctionTimeoutError } from './errors';

export const LOCAL_ACCOUNT_ID = '000000000000';

export interface LocalFunction {
  name: string;
  region: string;
  timeoutSeconds: number;
  memoryMb: number;
}

function legacyCallback(): never {
  throw new Error('The legacy context.done/succeed/fail callbacks are not supported; return a promise');
}

export function lambdaContext(fn: LocalFunction): Context {
  const deadline = Date.now() + fn.timeoutSeconds * 1000;
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName: fn.name,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:${fn.region}:${LOCAL_ACCOUNT_ID}:function:${fn.name}`,
    memoryLimitInMB: String(fn.memoryMb),
    awsRequestId: randomUUID(),
    logGroupName: `/aws/lambda/${fn.name}`,
    logStreamName: 'local',
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    // The Context type still declares the pre-promise callbacks; handlers here never call them.
    /* eslint-disable @typescript-eslint/no-deprecated */
    done: legacyCallback,
    fail: legacyCallback,
    succeed: legacyCallback,
    /* eslint-enable @typescript-eslint/no-deprecated */
  };
}

/** Runs one invocation with a fresh context, rejecting with FunctionTimeoutError at the deadline. */
export async function invoke<T>(fn: LocalFunction, run: (context: Context) => Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => {
      reject(new FunctionTimeoutError(fn.name, fn.timeoutSeconds));
    }, fn.timeoutSeconds * 1000);
  });
  try {
    return await Promise.race([run(lambdaContext(fn)), timeout]);
  } finally {
    clearTimeout(timer);
  }
}
