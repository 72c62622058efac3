/**
 * Work that must be done before an invocation ends, registered by whatever needs it; this module imports
 * no database code, so handlers that never use the database carry none for it.
 */
import type { MiddlewareObj } from '@middy/core';
import { logger } from '#commons/logger';

const tasks = new Set<() => Promise<void>>();

/** Runs `task` at the end of every later invocation of this instance. */
export function atInvocationEnd(task: () => Promise<void>): void {
  tasks.add(task);
}

/**
 * Middleware: runs the registered tasks after the handler, whether it succeeded or failed. A task that fails
 * (closing a pausing database's connection) is logged and changes nothing: the invocation's work is done, and
 * turning its answer into an error would make a client see a 500 or the queue redeliver a finished message.
 */
export function invocationEnd(): MiddlewareObj {
  const run = async (): Promise<void> => {
    for (const task of tasks) {
      try {
        await task();
      } catch (error) {
        logger.error('A task at the end of the invocation failed; the result stands', { error });
      }
    }
  };
  return { after: run, onError: run };
}
