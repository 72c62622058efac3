/**
 * What a function inside the VPC answers the function outside it that invoked it (docs/architecture.md,
 * "The VPC boundary"): its result, or the request error it refused the call with. A refusal travels back as a
 * value, not as a Lambda function error, so the caller answers it as if it had thrown it itself (a 404 stays a
 * 404, a waking database a 503 with Retry-After) and the invoked function's error metric counts only failures.
 * Any other error is a function error, which the caller reports as its own failure (500).
 */
import * as z from './zod';
import {
  ConflictError,
  DatabaseResumingError,
  NotFoundError,
  ServiceUnavailableError,
  TooManyRequestsError,
  ValidationError,
} from './errors';

/** The request errors an invoked function may refuse with, by class name (checked most specific first). */
const REFUSAL_TYPES = [
  'DatabaseResumingError',
  'ServiceUnavailableError',
  'TooManyRequestsError',
  'ConflictError',
  'NotFoundError',
  'ValidationError',
] as const;

const fieldError = z.object({ field: z.string(), message: z.string() });

const refusal = z.object({
  type: z.enum(REFUSAL_TYPES),
  message: z.string(),
  errors: z.optional(z.array(fieldError)),
  retryAfterSeconds: z.optional(z.number()),
});
export type Refusal = z.infer<typeof refusal>;

/** The payload of a successful invocation: `{ value }` or `{ refusal }`. */
// The refusal first, so that an answer that is one is read as one whatever else it holds.
export const boundaryAnswer = z.union([z.object({ refusal }), z.object({ value: z.unknown() })]);
export type BoundaryAnswer<T> = { value: T } | { refusal: Refusal };

/** The refusal an error stands for, or undefined when it is not a request error (then it is a failure). */
export function refusalOf(error: unknown): Refusal | undefined {
  if (error instanceof DatabaseResumingError)
    return { type: 'DatabaseResumingError', message: error.message };
  if (error instanceof ServiceUnavailableError || error instanceof TooManyRequestsError)
    return {
      type: error instanceof ServiceUnavailableError ? 'ServiceUnavailableError' : 'TooManyRequestsError',
      message: error.message,
      ...(error.retryAfterSeconds === undefined ? {} : { retryAfterSeconds: error.retryAfterSeconds }),
    };
  if (error instanceof ConflictError || error instanceof ValidationError)
    return {
      type: error instanceof ConflictError ? 'ConflictError' : 'ValidationError',
      message: error.message,
      ...(error.errors.length === 0 ? {} : { errors: error.errors }),
    };
  if (error instanceof NotFoundError) return { type: 'NotFoundError', message: error.message };
  return undefined;
}

/** The error the caller throws for a refusal: the one the invoked function threw, as far as a caller can tell. */
export function errorOf(answer: Refusal): Error {
  const { message, errors, retryAfterSeconds } = answer;
  switch (answer.type) {
    case 'DatabaseResumingError':
      return new DatabaseResumingError();
    case 'ServiceUnavailableError':
      return new ServiceUnavailableError(message, { retryAfterSeconds });
    case 'TooManyRequestsError':
      return new TooManyRequestsError(message, { retryAfterSeconds });
    case 'ConflictError':
      return new ConflictError(message, errors);
    case 'ValidationError':
      return new ValidationError(message, errors);
    case 'NotFoundError':
      return new NotFoundError(message);
  }
}
