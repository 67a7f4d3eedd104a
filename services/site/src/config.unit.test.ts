import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from './config.js';

describe('loadConfig', () => {
  it('gives the documented defaults for an empty environment', () => {
    const config = loadConfig({});
    expect(config.database).toEqual({
      url: 'postgres://root@127.0.0.1:5432/chom_site',
      poolMax: undefined,
      planCacheMode: 'force_custom_plan',
    });
    expect(config.nats).toEqual({
      servers: 'nats://127.0.0.1:4222',
      name: 'site',
      user: undefined,
      password: undefined,
      credsFile: undefined,
    });
    expect(config.space).toEqual({ stream: 'EVENTS', events: 'events', services: 'svc' });
    expect(config.ops).toEqual({ host: '0.0.0.0', port: 9101 });
    expect(config.vpsPool).toEqual([
      { id: 'vps-1', hostname: 'vps-1', capacity: 10 },
      { id: 'vps-2', hostname: 'vps-2', capacity: 10 },
    ]);
    expect(config.provisioner).toEqual({ durationMs: 300, failureRate: 0, failDomains: undefined });
    expect(config.siteProvisioner).toEqual({
      maxDeliver: 3,
      backoffMs: [10_000],
      ackWaitMs: 30_000,
      concurrency: 64,
      maxAckPending: 1_024,
      batchSize: 1,
    });
    expect(config.outbox).toEqual({ relay: true, pollIntervalMs: 1000, retainSentMs: 86_400_000 });
    expect(config.ssl).toEqual({ certValidityDays: 90, warnDays: 14, checkIntervalMs: 86_400_000 });
  });

  it('reads every variable it is given', () => {
    const config = loadConfig({
      DATABASE_URL: 'postgresql://u@db:5432/x',
      NATS_URL: 'nats://a:4222,nats://b:4222',
      NATS_USER: 'site',
      NATS_PASSWORD: 'pw',
      EVENTS_STREAM: 'EV_T',
      EVENTS_SUBJECT_ROOT: 'ev',
      SERVICES_SUBJECT_ROOT: 'rpc',
      OPS_PORT: '0',
      LOG_LEVEL: 'debug',
      VPS_POOL: ' a:1 , b:2 ',
      PROVISION_DURATION_MS: '5',
      PROVISION_FAILURE_RATE: '0.5',
      PROVISION_FAIL_DOMAINS: '^fail\\.',
      SITE_PROVISIONER_MAX_DELIVER: '5',
      SITE_PROVISIONER_BACKOFF_MS: '10, 20,40',
      SITE_PROVISIONER_ACK_WAIT_MS: '2000',
      SITE_PROVISIONER_CONCURRENCY: '8',
      OUTBOX_RELAY: 'off',
      OUTBOX_POLL_MS: '50',
      OUTBOX_RETAIN_SENT_MS: '0',
    });
    expect(config.nats).toMatchObject({ servers: 'nats://a:4222,nats://b:4222', user: 'site', password: 'pw' });
    expect(config.space).toEqual({ stream: 'EV_T', events: 'ev', services: 'rpc' });
    expect(config.ops.port).toBe(0);
    expect(config.vpsPool.map((v) => [v.id, v.capacity])).toEqual([
      ['a', 1],
      ['b', 2],
    ]);
    expect(config.provisioner.failDomains?.test('FAIL.example.com')).toBe(true);
    expect(config.siteProvisioner).toEqual({
      maxDeliver: 5,
      backoffMs: [10, 20, 40],
      ackWaitMs: 2000,
      concurrency: 8,
      maxAckPending: 128,
      batchSize: 1,
    });
    expect(config.outbox).toEqual({ relay: false, pollIntervalMs: 50, retainSentMs: 0 });
  });

  it('treats blank variables as unset', () => {
    expect(loadConfig({ OPS_PORT: '', VPS_POOL: '  ' }).ops.port).toBe(9101);
  });

  it('names every invalid variable at once', () => {
    const attempt = () =>
      loadConfig({
        DATABASE_URL: 'mysql://x',
        OPS_PORT: 'ninety',
        VPS_POOL: 'vps-1',
        PROVISION_FAILURE_RATE: '2',
        PROVISION_FAIL_DOMAINS: '(',
        SITE_PROVISIONER_BACKOFF_MS: '10,soon',
        OUTBOX_RELAY: 'maybe',
        NATS_PASSWORD: 'orphan',
      });
    expect(attempt).toThrow(ConfigError);
    const message = (() => {
      try {
        attempt();
        return '';
      } catch (error) {
        return (error as Error).message;
      }
    })();
    for (const name of [
      'DATABASE_URL',
      'OPS_PORT',
      'VPS_POOL',
      'PROVISION_FAILURE_RATE',
      'PROVISION_FAIL_DOMAINS',
      'SITE_PROVISIONER_BACKOFF_MS',
      'OUTBOX_RELAY',
    ]) {
      expect(message).toContain(name);
    }
  });

  it('rejects a pool listing a server twice', () => {
    expect(() => loadConfig({ VPS_POOL: 'a:1,a:2' })).toThrow(/VPS_POOL/);
  });
});
