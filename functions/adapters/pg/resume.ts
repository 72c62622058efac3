import { DatabaseResumingError } from '#core/errors';

export interface ResumeWait {
  /** How long to keep trying while the database resumes; 0 answers the first resuming error at once. */
  waitMs: number;
  /** Pause between two attempts. @default 1000 */
  retryDelayMs?: number;
  /** For tests: a clock and a sleep that need no real time. */
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
}

const realSleep = (ms: number): Promise<void> =>
  new Promise((resolve) => {
    setTimeout(resolve, ms);
  });

/**
 * Runs `operation` again while it fails with {@link DatabaseResumingError}, until `waitMs` is spent; then the last
 * such error goes up (503 with Retry-After at the HTTP edge, a transient failure in the worker). Retrying is safe
 * whatever the statement: a resuming database refused the connection, so nothing ran.
 */
export async function retryWhileResuming<T>(operation: () => Promise<T>, wait: ResumeWait): Promise<T> {
  const now = wait.now ?? Date.now;
  const sleep = wait.sleep ?? realSleep;
  const delay = wait.retryDelayMs ?? 1_000;
  const deadline = now() + wait.waitMs;
  for (;;) {
    try {
      return await operation();
    } catch (error) {
      if (!(error instanceof DatabaseResumingError) || now() + delay > deadline) throw error;
      await sleep(delay);
    }
  }
}
