/** Errors of the local stack (`npm start`), on the platform's one error convention (functions/core/errors.ts). */
import { IdrlError } from '#core/errors';

/** A configuration problem the user can fix: the message is printed as is, without a stack. */
export class LocalStackConfigError extends IdrlError {}

/** Lambda ends an invocation at its timeout; locally the promise is abandoned and reported as this. */
export class FunctionTimeoutError extends IdrlError {
  constructor(functionName: string, timeoutSeconds: number, options?: ErrorOptions) {
    super(`${functionName} timed out after ${timeoutSeconds} seconds`, options);
  }
}
