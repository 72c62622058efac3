/**
 * How `npm start` reacts to stop signals. One Ctrl-C in a terminal reaches the stack more than once: the
 * terminal signals the whole foreground process group, and npm and tsx each relay the SIGINT they got to
 * their child as well. Taken literally, the copies read as "Ctrl-C again: force", and a video being
 * processed lost its grace period. Copies arrive within milliseconds, a person's second Ctrl-C much later,
 * so a repeat inside `repeatWindowMs` is the same interrupt.
 */
export interface ShutdownOptions {
  stop: () => Promise<void>;
  log: (line: string) => void;
  exit: (code: number) => void;
  now?: () => number;
  /** A signal this soon after the first one is a relayed copy of it. @default 500 */
  repeatWindowMs?: number;
}

export function shutdownHandler(options: ShutdownOptions): (signal: NodeJS.Signals) => void {
  const now = options.now ?? Date.now;
  const repeatWindowMs = options.repeatWindowMs ?? 500;
  let firstAt: number | undefined;
  return (signal) => {
    if (firstAt !== undefined) {
      if (now() - firstAt < repeatWindowMs) return;
      options.log(`${signal} again: exiting without waiting.`);
      options.exit(1);
      return;
    }
    firstAt = now();
    options.log(
      `${signal}: stopping (a video being processed gets time to finish; Ctrl-C again to force)...`,
    );
    options.stop().then(
      () => {
        options.log('stopped.');
        options.exit(0);
      },
      (error: unknown) => {
        options.log(`stopped with errors: ${String(error)}`);
        options.exit(1);
      },
    );
  };
}
