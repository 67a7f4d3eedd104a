import { scheduleJob, type Logger, type ScheduledJob } from '@chom/telemetry';

/**
 * Runs `check` once at start and then every `intervalMs`; runs never overlap. A failed run is
 * logged and the next one tries again (the check is idempotent per day).
 */
export function startSslExpiryJob(intervalMs: number, check: () => Promise<number>, logger: Logger): ScheduledJob {
  const run = async () => {
    const emitted = await check();
    if (emitted > 0) logger.info({ emitted }, 'site.ssl_expiring events written');
  };
  return scheduleJob('ssl expiry check', intervalMs, run, logger, { runAtStart: true });
}
