import { describe, expect, it } from 'vitest';
import { DAY_MS } from '../deps.js';
import { daysUntil } from './check-ssl-expiry.js';

describe('daysUntil', () => {
  it('counts whole days rounded up', () => {
    const now = new Date('2025-01-01T00:00:00Z');
    expect(daysUntil(new Date(now.getTime() + 10 * DAY_MS), now)).toBe(10);
    expect(daysUntil(new Date(now.getTime() + 9.5 * DAY_MS), now)).toBe(10);
    expect(daysUntil(new Date(now.getTime() + 1), now)).toBe(1);
    expect(daysUntil(new Date(now.getTime() - 1), now)).toBe(0);
  });
});
