import type { Logger } from './logger.js';
import { shutdownTracing } from './tracing-state.js';

export interface ShutdownStep {
  name: string;
  run: () => Promise<unknown> | unknown;
}

/**
 * On SIGTERM or SIGINT runs the steps in order (each failure logged, none skipping the
 * rest), then flushes the spans still buffered (`shutdownTracing`), then exits 0; exits 1 if they take longer than `timeoutMs`. A second signal is
 * ignored while shutting down.
 */
export function handleShutdown(logger: Logger, steps: ShutdownStep[], timeoutMs = 25_000): void {
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    const timer = setTimeout(() => {
      logger.error({ timeoutMs }, 'shutdown timed out');
      process.exit(1);
    }, timeoutMs);
    timer.unref();
    for (const step of steps) {
      try {
        await step.run();
      } catch (error) {
        logger.error({ err: error, step: step.name }, 'shutdown step failed');
      }
    }
    try {
      await shutdownTracing();
    } catch (error) {
      logger.error({ err: error, step: 'tracing' }, 'shutdown step failed');
    }
    logger.info('stopped');
    logger.flush?.();
    process.exit(0);
  };
  process.once('SIGTERM', () => void stop('SIGTERM'));
  process.once('SIGINT', () => void stop('SIGINT'));
}
