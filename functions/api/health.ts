import { apiHandler } from '#commons/http';
import { logger } from '#commons/logger';
import { getTaskRepository } from '#commons/composition-root';
import type { HealthResponse } from '#core/schemas';

const repository = getTaskRepository();

// Health answers with its own body on failure (not the error shape): monitors read `database`.
export const handler = apiHandler(async () => {
  try {
    await repository.ping();
    return { statusCode: 200, body: { status: 'ok', database: 'ok' } satisfies HealthResponse };
  } catch (error) {
    logger.warn('Health check: database unreachable', { error });
    return {
      statusCode: 503,
      body: { status: 'unavailable', database: 'unreachable' } satisfies HealthResponse,
    };
  }
});
