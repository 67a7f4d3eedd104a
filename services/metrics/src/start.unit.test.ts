import { describe, expect, it } from 'vitest';
import { overdueCheckIntervalMs } from './start.js';

describe('overdueCheckIntervalMs', () => {
  it('checks five times per wait, at least every minute and at most every 100 ms', () => {
    expect(overdueCheckIntervalMs(5 * 60_000)).toBe(60_000);
    expect(overdueCheckIntervalMs(60_000)).toBe(12_000);
    expect(overdueCheckIntervalMs(50)).toBe(100);
  });
});
