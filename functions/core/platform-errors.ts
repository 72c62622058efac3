/** Errors of the platform itself, not of a request or a video: they stop a function at init or deploy. */
import { IdrlError } from './errors';

/** A missing or malformed environment variable, named in the message. */
export class ConfigurationError extends IdrlError {}

/** The schema cannot be brought to the code's version (out of order, or ahead of the code). */
export class MigrationError extends IdrlError {}

/** A function invoked across the VPC boundary failed; the message names it and its error, never its input. */
export class InvokedFunctionError extends IdrlError {}

/** SQS did not accept the messages of these tasks' uploads (the others were queued). */
export class UploadsNotQueuedError extends IdrlError {
  constructor(
    readonly taskIds: readonly number[],
    options?: ErrorOptions,
  ) {
    super(`The uploads of tasks ${taskIds.join(', ')} could not be queued`, options);
  }
}
