/**
 * Work that must be done before an invocation ends, registered by whatever needs it; this module imports
 * nothing, so handlers that never use the database carry no database code for it.
 */
import type { MiddlewareObj } from '@middy/core';

const tasks = new Set<() => Promise<void>>();

/** Runs `task` at the end of every later invocation of this instance. */
export function atInvocationEnd(task: () => Promise<void>): void {
  tasks.add(task);
}

/** Middleware: runs the registered tasks after the handler, whether it succeeded or failed. */
export function invocationEnd(): MiddlewareObj {
  const run = async (): Promise<void> => {
    for (const task of tasks) await task();
  };
  return { after: run, onError: run };
}
