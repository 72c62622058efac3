/**
 * The handler of a function inside the VPC that one outside it invokes synchronously (docs/architecture.md,
 * "The VPC boundary"): the event is validated, and the answer is a BoundaryAnswer, the result or the request
 * error it refused the call with (functions/adapters/lambda/invoke.ts turns it back into that error).
 */
import middy from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { type BoundaryAnswer, refusalOf } from '#core/boundary';
import { ServiceUnavailableError } from '#core/errors';
import { parseInput } from '#core/validation';
import type * as z from '#core/zod';
import { invocationEnd } from './invocation-end';
import { logger } from './logger';

export function invocableHandler<Schema extends z.ZodMiniType, Result>(
  schema: Schema,
  handle: (event: z.output<Schema>) => Promise<Result>,
): middy.MiddyfiedHandler<unknown, BoundaryAnswer<Result>> {
  return middy<unknown, BoundaryAnswer<Result>>()
    .use(injectLambdaContext(logger))
    .use(invocationEnd())
    .handler(async (raw) => {
      // Outside the refusals: only this platform's own caller builds the event, so a bad one is a failure.
      const event = parseInput(schema, raw, 'Invalid invocation event');
      try {
        return { value: await handle(event) };
      } catch (error) {
        const refusal = refusalOf(error);
        if (refusal === undefined) throw error;
        // The refusal crosses without its cause: a dependency's error (the database's) is logged here, where it is.
        if (error instanceof ServiceUnavailableError) logger.warn('Dependency unavailable', { error });
        return { refusal };
      }
    });
}
