import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from './config.js';

describe('notification config', () => {
  it('defaults to the seed policy (3 tries, 120 s) with e-mail off', () => {
    const config = loadConfig({});
    expect(config.ops.port).toBe(9104);
    expect(config.listener).toMatchObject({ maxDeliver: 3, backoffMs: [120_000] });
    expect(config.delivery).toEqual({
      maxAttempts: 3,
      backoffMs: [120_000],
      pollIntervalMs: 1000,
      leaseMs: 60_000,
      concurrency: 8,
    });
    expect(config.email).toBeUndefined();
    expect(config.webhook.secretKey).toBeUndefined();
  });

  it('reads SMTP, the secret key and the retry policy', () => {
    const config = loadConfig({
      SMTP_URL: 'smtp://mail:25',
      WEBHOOK_SECRET_KEY: 'ab'.repeat(32),
      DELIVERY_BACKOFF_MS: '10,20',
      NOTIFICATION_MAX_DELIVER: '5',
    });
    expect(config.email).toEqual({
      smtpUrl: 'smtp://mail:25',
      from: 'CHOM <no-reply@chom.local>',
      addressTemplate: undefined,
    });
    expect(config.webhook.secretKey).toHaveLength(32);
    expect(config.delivery.backoffMs).toEqual([10, 20]);
    expect(config.listener.maxDeliver).toBe(5);
  });

  it('names every bad variable', () => {
    expect(() => loadConfig({ SMTP_URL: 'http://x', WEBHOOK_SECRET_KEY: 'short', DELIVERY_LEASE_MS: '1000' })).toThrow(
      ConfigError,
    );
    try {
      loadConfig({ SMTP_URL: 'http://x', WEBHOOK_SECRET_KEY: 'short' });
    } catch (error) {
      expect(String(error)).toMatch(/SMTP_URL/);
      expect(String(error)).toMatch(/WEBHOOK_SECRET_KEY/);
    }
  });
});
