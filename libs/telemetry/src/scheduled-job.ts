import type { Logger } from './logger.js';

export interface ScheduledJob {
  /** Stops scheduling, signals a run in progress to stop (its `AbortSignal`) and waits for it. */
  stop(): Promise<void>;
}

/**
 * Runs `run` every `intervalMs` (and once at start with `runAtStart`); runs never overlap. A
 * failed run is logged and the next one tries again. A long run should watch its signal, so
 * that shutdown does not wait for it.
 */
export function scheduleJob(
  name: string,
  intervalMs: number,
  run: (signal: AbortSignal) => Promise<unknown>,
  logger: Logger,
  options: { runAtStart?: boolean } = {},
): ScheduledJob {
  let running: Promise<void> | undefined;
  const stopping = new AbortController();
  const tick = () => {
    if (running || stopping.signal.aborted) return;
    running = run(stopping.signal)
      .then(() => undefined)
      .catch((error: unknown) => logger.error({ err: error, job: name }, 'scheduled job failed'))
      .finally(() => {
        running = undefined;
      });
  };
  const first = options.runAtStart ? setTimeout(tick, 0) : undefined;
  const timer = setInterval(tick, intervalMs);
  return {
    async stop() {
      clearTimeout(first);
      clearInterval(timer);
      stopping.abort();
      await running;
    },
  };
}
