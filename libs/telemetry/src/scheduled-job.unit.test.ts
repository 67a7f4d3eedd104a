import { captureLogger } from './testing/index.js';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { scheduleJob } from './scheduled-job.js';

afterEach(() => {
  vi.useRealTimers();
});

describe('scheduleJob', () => {
  it('runs every interval, never two runs at once, logs a failure and goes on; stop aborts the run in progress and waits', async () => {
    vi.useFakeTimers();
    const { logger, lines } = captureLogger('job');
    let running = 0;
    let most = 0;
    let calls = 0;
    let finish: (() => void) | undefined;
    let aborted = false;
    const job = scheduleJob(
      'test',
      100,
      async (signal) => {
        calls += 1;
        running += 1;
        most = Math.max(most, running);
        try {
          if (calls === 2) throw new Error('boom');
          if (calls === 3) {
            await new Promise<void>((resolve) => (finish = resolve));
            aborted = signal.aborted;
          }
        } finally {
          running -= 1;
        }
      },
      logger,
    );
    await vi.advanceTimersByTimeAsync(250);
    expect(calls).toBe(2);
    expect(lines.some((l) => l.job === 'test' && l.msg === 'scheduled job failed')).toBe(true);
    await vi.advanceTimersByTimeAsync(300); // the third run hangs: the ticks meanwhile start none
    expect(calls).toBe(3);
    const stopped = job.stop();
    let done = false;
    void stopped.then(() => (done = true));
    await vi.advanceTimersByTimeAsync(0);
    expect(done).toBe(false); // stop signals the run in progress and waits for it
    finish?.();
    await stopped;
    await vi.advanceTimersByTimeAsync(1_000);
    expect(calls).toBe(3);
    expect(most).toBe(1);
    expect(aborted).toBe(true);
  });

  it('runs once at start with runAtStart, then every interval', async () => {
    vi.useFakeTimers();
    const { logger } = captureLogger('job');
    let calls = 0;
    const job = scheduleJob('test', 1_000, async () => void (calls += 1), logger, { runAtStart: true });
    await vi.advanceTimersByTimeAsync(0);
    expect(calls).toBe(1);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(calls).toBe(2);
    await job.stop();
  });
});
