import { describe, expect, it } from 'vitest';
import { decide } from './decide.js';
import { canonicalJson, IdempotencyKey, idempotencyStoreKey, requestFingerprint } from './fingerprint.js';

describe('fingerprints', () => {
  it('ignore key order but not values, method or route', () => {
    const a = requestFingerprint('POST', '/api/v1/sites', { domain: 'a.example.com', siteType: 'html' });
    expect(requestFingerprint('post', '/api/v1/sites', { siteType: 'html', domain: 'a.example.com' })).toBe(a);
    expect(requestFingerprint('POST', '/api/v1/sites', { domain: 'b.example.com', siteType: 'html' })).not.toBe(a);
    expect(requestFingerprint('POST', '/api/v1/other', { domain: 'a.example.com', siteType: 'html' })).not.toBe(a);
  });

  it('canonical JSON sorts nested keys and drops undefined', () => {
    expect(canonicalJson({ b: [{ d: 1, c: null }], a: undefined, e: 'x' })).toBe('{"b":[{"c":null,"d":1}],"e":"x"}');
  });

  it('store keys are KV-safe and scoped by tenant', () => {
    const key = idempotencyStoreKey('t_1', 'order 42 / ünïcode? *>');
    expect(key).toMatch(/^t_1\.[0-9a-f]{64}$/);
    expect(idempotencyStoreKey('t_2', 'order 42 / ünïcode? *>')).not.toBe(key);
  });

  it('keys are 1-255 printable characters', () => {
    expect(IdempotencyKey.safeParse('abc-123 ~!').success).toBe(true);
    expect(IdempotencyKey.safeParse('x'.repeat(255)).success).toBe(true);
    for (const bad of ['', 'x'.repeat(256), 'tab\there', 'é'])
      expect(IdempotencyKey.safeParse(bad).success).toBe(false);
  });
});

describe('decide', () => {
  const lease = 1_000;
  it('replays a finished request with the same body', () => {
    expect(decide({ state: 'done', fingerprint: 'f', status: 201, body: { id: 1 } }, 'f', 0, lease)).toEqual({
      action: 'replay',
      status: 201,
      body: { id: 1 },
    });
  });
  it('refuses a different body, finished or not', () => {
    expect(decide({ state: 'done', fingerprint: 'f', status: 201, body: {} }, 'g', 0, lease)).toEqual({
      action: 'reused',
    });
    expect(decide({ state: 'pending', fingerprint: 'f', claimedAt: 0 }, 'g', 0, lease)).toEqual({ action: 'reused' });
  });
  it('reports a live claim as in progress and lets an abandoned one be taken over', () => {
    expect(decide({ state: 'pending', fingerprint: 'f', claimedAt: 100 }, 'f', 500, lease)).toEqual({
      action: 'in_progress',
    });
    expect(decide({ state: 'pending', fingerprint: 'f', claimedAt: 100 }, 'f', 2_000, lease)).toEqual({
      action: 'take_over',
    });
  });
});
