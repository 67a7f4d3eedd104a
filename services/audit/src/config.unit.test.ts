import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from './config.js';

describe('loadConfig', () => {
  it('has defaults for a local run, with the seed retry policy (3 tries, 60 s)', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({
      database: { url: 'postgres://root@127.0.0.1:5432/chom_audit' },
      nats: { servers: 'nats://127.0.0.1:4222' },
      space: { stream: 'EVENTS', events: 'events', services: 'svc' },
      ops: { port: 9102, host: '0.0.0.0' },
      logLevel: 'info',
      listener: {
        maxDeliver: 3,
        backoffMs: [60_000],
        ackWaitMs: 30_000,
        concurrency: 1,
        batchSize: 100,
        maxAckPending: 1_000,
      },
    });
  });

  it('reads overrides, including a backoff list', () => {
    const config = loadConfig({
      AUDIT_MAX_DELIVER: '5',
      AUDIT_BACKOFF_MS: '10, 20,30',
      AUDIT_CONCURRENCY: '4',
      NATS_USER: 'audit',
      NATS_PASSWORD: 's3cret',
      NATS_CREDS: '',
    });
    expect(config.listener).toMatchObject({ maxDeliver: 5, backoffMs: [10, 20, 30], concurrency: 4 });
    expect(config.nats).toMatchObject({ user: 'audit', password: 's3cret', credsFile: undefined });
  });

  it('names every invalid variable in one error', () => {
    let error: unknown;
    try {
      loadConfig({ AUDIT_BACKOFF_MS: '60s', OPS_PORT: 'x', DATABASE_URL: 'mysql://x/y', EVENTS_STREAM: 'A.B' });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const message = (error as Error).message;
    for (const name of ['AUDIT_BACKOFF_MS', 'OPS_PORT', 'DATABASE_URL', 'EVENTS_STREAM'])
      expect(message).toContain(name);
  });

  it('refuses fewer pending acks than concurrent handlers', () => {
    expect(() => loadConfig({ AUDIT_CONCURRENCY: '32', AUDIT_MAX_ACK_PENDING: '8' })).toThrow(/AUDIT_MAX_ACK_PENDING/);
  });
});
