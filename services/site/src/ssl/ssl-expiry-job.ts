import type { Logger } from '@chom/telemetry';

export interface ScheduledJob {
  /** Stops scheduling and waits for a run in progress. */
  stop(): Promise<void>;
}

/**
 * Runs `check` once at start and then every `intervalMs`; runs never overlap. A failed run is
 * logged and the next one tries again (the check is idempotent per day).
 */
export function startSslExpiryJob(intervalMs: number, check: () => Promise<number>, logger: Logger): ScheduledJob {
  let running: Promise<void> | undefined;
  const tick = () => {
    if (running) return;
    running = check()
      .then((emitted) => {
        if (emitted > 0) logger.info({ emitted }, 'site.ssl_expiring events written');
      })
      .catch((error: unknown) => logger.error({ err: error }, 'ssl expiry check failed'))
      .finally(() => {
        running = undefined;
      });
  };
  const first = setTimeout(tick, 0);
  const timer = setInterval(tick, intervalMs);
  return {
    async stop() {
      clearTimeout(first);
      clearInterval(timer);
      await running;
    },
  };
}
