/**
 * The platform's error convention, in one place:
 * - every error class extends `IdrlError`, takes `ErrorOptions` and keeps `cause`;
 * - errors are grouped by domain: the request errors below (what a caller did or may retry),
 *   processing errors in `processing-errors.ts`, platform errors (configuration, schema) in
 *   `platform-errors.ts`; the local stack's own in `infra/local/errors.ts`;
 * - core errors carry no HTTP status: `functions/commons/http.ts` chooses it, and only for
 *   statuses below 500 does a message reach the client.
 */
export interface FieldError {
  field: string;
  message: string;
}

/** The base of every error the platform throws on purpose: `name` is the concrete class's. */
export abstract class IdrlError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** A request error that can say which request fields were wrong (the response's `errors`). */
export abstract class FieldErrorsError extends IdrlError {
  constructor(
    message: string,
    readonly errors: FieldError[] = [],
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/** The request is malformed or fails validation. */
export class ValidationError extends FieldErrorsError {}

/** No credentials, bad credentials or an invalid token. The message never says which. */
export class UnauthorizedError extends IdrlError {}

/** Missing, or owned by someone else (indistinguishable on purpose). */
export class NotFoundError extends IdrlError {}

/** The caller is known but may not do this (e.g. vote for their own video). */
export class ForbiddenError extends IdrlError {}

/** A unique value is already taken, or a state conflict. */
export class ConflictError extends FieldErrorsError {}

/** A declared upload or a request body is larger than allowed. */
export class PayloadTooLargeError extends IdrlError {}

/** Options of the errors a caller may retry after a while: when, if known. */
interface RetryableErrorOptions extends ErrorOptions {
  /** Whole seconds after which a retry can succeed (the response's Retry-After). */
  retryAfterSeconds?: number;
}

/** A request error after which the caller may try again, possibly after `retryAfterSeconds`. */
export abstract class RetryableError extends IdrlError {
  readonly retryAfterSeconds: number | undefined;

  constructor(message: string, options: RetryableErrorOptions = {}) {
    super(message, options);
    this.retryAfterSeconds = options.retryAfterSeconds;
  }
}

/** A per-pilot quota or a rate limit is used up. */
export class TooManyRequestsError extends RetryableError {}

/** A dependency (database, identity provider) is unavailable or throttling us; the caller may try again later. */
export class ServiceUnavailableError extends RetryableError {}

/** Seconds a client waits after a resuming database's 503: Aurora resumes in about 15 s, and the API waited first. */
const RESUMING_RETRY_AFTER_SECONDS = 5;

/**
 * The database is resuming from an automatic pause (Aurora Serverless v2 at 0 ACU, about 15 s): the caller
 * should come back in a few seconds, and the console shows "waking up" instead of an error.
 */
export class DatabaseResumingError extends ServiceUnavailableError {
  constructor(options?: ErrorOptions) {
    super('The database is waking up. Try again in a few seconds.', {
      ...options,
      retryAfterSeconds: RESUMING_RETRY_AFTER_SECONDS,
    });
  }
}
