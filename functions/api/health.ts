import { apiHandler, retryAfterHeader } from '#commons/http';
import { logger } from '#commons/logger';
import { getTaskRepository } from '#commons/composition-root';
import { DatabaseResumingError } from '#core/errors';
import type { HealthResponse } from '#core/schemas';

const repository = getTaskRepository();

// Health answers with its own body on failure (not the error shape): monitors read `database`.
export const handler = apiHandler(async () => {
  try {
    await repository.ping();
    return { statusCode: 200, body: { status: 'ok', database: 'ok' } satisfies HealthResponse };
  } catch (error) {
    // A paused serverless database wakes on this very attempt: "resuming" tells a monitor to look again soon.
    const resuming = error instanceof DatabaseResumingError;
    logger.warn(resuming ? 'Health check: database resuming' : 'Health check: database unreachable', {
      error,
    });
    return {
      statusCode: 503,
      headers: retryAfterHeader(error),
      body: {
        status: 'unavailable',
        database: resuming ? 'resuming' : 'unreachable',
      } satisfies HealthResponse,
    };
  }
});
