import { ConflictError, DatabaseResumingError, ServiceUnavailableError } from '#core/errors';

/** SQLSTATE classes and socket errors that mean "the database is unreachable", not "the query is wrong". */
const UNAVAILABLE_SQLSTATES = new Set(['57P01', '57P02', '53300']);
/** cannot_connect_now: "the database system is starting up", what a resuming server answers. */
const RESUMING_SQLSTATE = '57P03';
const CONNECT_TIMEOUT =
  /timeout exceeded when trying to connect|Connection terminated due to connection timeout/i;

export interface PgErrorContext {
  /**
   * The database pauses while idle (DB_AUTO_PAUSE): Aurora then holds a new connection until it has resumed, so a
   * connection attempt that times out means "resuming", not "unreachable".
   */
  autoPause: boolean;
}
const UNAVAILABLE_SOCKET_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EPIPE',
]);

function codeOf(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null || !('code' in error)) return undefined;
  return typeof error.code === 'string' ? error.code : undefined;
}

/**
 * Translates a pg driver error into a domain error; anything unexpected is rethrown untouched so
 * the HTTP layer reports a 500 (and logs it) instead of guessing.
 */
export function translatePgError(error: unknown, context: PgErrorContext = { autoPause: false }): never {
  const code = codeOf(error);
  const connectTimedOut = error instanceof Error && CONNECT_TIMEOUT.test(error.message);
  if (code === RESUMING_SQLSTATE || (context.autoPause && connectTimedOut)) {
    throw new DatabaseResumingError({ cause: error });
  }
  if (code === '23505') throw new ConflictError('The resource already exists', [], { cause: error });
  if (code === '23503') throw new ConflictError('A referenced resource does not exist', [], { cause: error });
  const unreachable =
    (code !== undefined &&
      (code.startsWith('08') || UNAVAILABLE_SQLSTATES.has(code) || UNAVAILABLE_SOCKET_CODES.has(code))) ||
    connectTimedOut ||
    (error instanceof Error && /Connection terminated/i.test(error.message));
  if (unreachable) throw new ServiceUnavailableError('The database is unavailable', { cause: error });
  throw error;
}
