import { describe, expect, it } from 'vitest';
import { boundaryAnswer, errorOf, refusalOf } from '#core/boundary';
import {
  ConflictError,
  DatabaseResumingError,
  ForbiddenError,
  NotFoundError,
  ServiceUnavailableError,
  TooManyRequestsError,
  ValidationError,
} from '#core/errors';
import { InvokedFunctionError } from '#core/platform-errors';

/** Across the boundary and back, as JSON travels in a Lambda payload. */
function crossed(error: Error): Error | undefined {
  const refusal = refusalOf(error);
  if (refusal === undefined) return undefined;
  const answer = boundaryAnswer.parse(JSON.parse(JSON.stringify({ refusal })));
  if (!('refusal' in answer)) throw new Error('Not a refusal');
  return errorOf(answer.refusal);
}

describe('refusals across the VPC boundary', () => {
  it.each([
    new NotFoundError('Video not found'),
    new ConflictError('Only a failed task can be retried.'),
    new ConflictError('Taken', [{ field: 'username', message: 'Already taken' }]),
    new ValidationError('Invalid request', [{ field: 'id', message: 'Must be a number' }]),
    new TooManyRequestsError('You already have 5 unfinished tasks', { retryAfterSeconds: 60 }),
    new TooManyRequestsError('Slow down'),
    new ServiceUnavailableError('Busy', { retryAfterSeconds: 5 }),
    new DatabaseResumingError(),
  ])('comes back as the same request error: %s', (error) => {
    // Act
    const back = crossed(error);

    // Assess: the class (and so the HTTP status), the message, the field errors and Retry-After.
    expect(back).toBeInstanceOf(error.constructor);
    expect(back).toEqual(error);
    expect(Object.entries(back ?? {})).toEqual(Object.entries(error));
  });

  it.each([
    new Error('connect ECONNREFUSED 10.0.0.1:5432'),
    new InvokedFunctionError('x failed'),
    // Not one an invoked function has a reason to refuse with: a failure of the call, answered 500.
    new ForbiddenError('No'),
  ])('does not carry a failure: %s', (error) => {
    expect(refusalOf(error)).toBeUndefined();
  });

  it('tells a result from a refusal, whatever the result is', () => {
    expect(boundaryAnswer.parse({ value: null })).toEqual({ value: null });
    expect(boundaryAnswer.parse({ value: { refusal: 1 } })).toEqual({ value: { refusal: 1 } });
    expect(boundaryAnswer.safeParse({ refusal: { type: 'Error', message: 'x' } }).success).toBe(false);
  });
});
