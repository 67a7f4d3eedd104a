import { describe, expect, it } from 'vitest';
import { testDatabaseName } from './index.js';

describe('testDatabaseName', () => {
  it('is a lower-case identifier, unique per call, within the 63-byte limit', () => {
    const a = testDatabaseName('My-Service Tests!'.repeat(5));
    const b = testDatabaseName('My-Service Tests!'.repeat(5));
    expect(a).toMatch(/^[a-z0-9_]+$/);
    expect(a).not.toBe(b);
    expect(a.length).toBeLessThanOrEqual(63);
  });

  it('falls back to a default prefix', () => {
    expect(testDatabaseName('')).toMatch(/^test_[0-9a-f]{12}$/);
  });
});
