/**
 * Typed domain errors. Adapters translate driver errors into these; the HTTP error middleware
 * (functions/commons/http.ts) is the one place they become status codes.
 */
export interface FieldError {
  field: string;
  message: string;
}

export abstract class DomainError extends Error {
  abstract readonly statusCode: number;
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** A domain error that can say which request fields were wrong (the response's `errors`). */
export abstract class FieldErrorsError extends DomainError {
  constructor(
    message: string,
    readonly errors: FieldError[] = [],
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/** 400: the request is malformed or fails validation. */
export class ValidationError extends FieldErrorsError {
  readonly statusCode = 400;
}

/** 401: no credentials, bad credentials or an invalid token. The message never says which. */
export class UnauthorizedError extends DomainError {
  readonly statusCode = 401;
}

/** 404: missing, or owned by someone else (indistinguishable on purpose). */
export class NotFoundError extends DomainError {
  readonly statusCode = 404;
}

/** 409: a unique value is already taken, or a state conflict. */
export class ConflictError extends FieldErrorsError {
  readonly statusCode = 409;
}

/** 413: a declared upload or a request body is larger than allowed. */
export class PayloadTooLargeError extends DomainError {
  readonly statusCode = 413;
}

/** 503: a dependency (database, identity provider) is unavailable. */
export class ServiceUnavailableError extends DomainError {
  readonly statusCode = 503;
}

/**
 * A video that can never be processed (not a video, undecodable, zero duration).
 * The worker marks the task failed at once instead of retrying.
 */
export class PermanentProcessingError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'PermanentProcessingError';
  }
}
