import type { Logger } from '@chom/telemetry';

export interface ScheduledJob {
  /** Stops scheduling and waits for a run in progress. */
  stop(): Promise<void>;
}

/**
 * Runs `run` every `intervalMs`; runs never overlap. A failed run is logged and the next one
 * tries again.
 */
export function scheduleJob(
  name: string,
  intervalMs: number,
  run: () => Promise<unknown>,
  logger: Logger,
): ScheduledJob {
  let running: Promise<void> | undefined;
  const tick = () => {
    if (running) return;
    running = run()
      .then(() => undefined)
      .catch((error: unknown) => logger.error({ err: error, job: name }, 'scheduled job failed'))
      .finally(() => {
        running = undefined;
      });
  };
  const timer = setInterval(tick, intervalMs);
  return {
    async stop() {
      clearInterval(timer);
      await running;
    },
  };
}
