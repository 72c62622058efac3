/** Re-runs `tick` every `intervalMs` while it says so, skipping hidden tabs, until disposed. */
export const POLL_INTERVAL_MS = 2000;

export interface Poller {
  /** Runs `tick` now (cancelling a scheduled run); `tick` resolves true to keep polling. */
  run: () => void;
  dispose: () => void;
}

export function poller(tick: () => Promise<boolean>, intervalMs = POLL_INTERVAL_MS): Poller {
  let timer: ReturnType<typeof setTimeout> | undefined;
  let disposed = false;
  let generation = 0;
  const schedule = () => {
    timer = setTimeout(run, intervalMs);
  };
  function run(): void {
    clearTimeout(timer);
    if (disposed) return;
    if (document.hidden) {
      schedule();
      return;
    }
    const current = ++generation;
    void tick().then((again) => {
      // A newer run supersedes this one; only the latest decides whether to keep going.
      if (again && !disposed && current === generation) schedule();
    });
  }
  return {
    run,
    dispose() {
      disposed = true;
      clearTimeout(timer);
    },
  };
}
