import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  ConfigError,
  databaseEnv,
  databaseSettings,
  listenerEnv,
  listenerSettings,
  parseEnv,
  processEnv,
  processSettings,
} from './index.js';

const Env = z.object({
  ...processEnv({ opsPort: 9100 }),
  ...databaseEnv('chom_test'),
  ...listenerEnv('AUDIT', { maxDeliver: 3, backoffMs: '60000', ackWaitMs: 30_000, concurrency: 16 }),
});

describe('service environment', () => {
  it('applies defaults, treating blank as unset', () => {
    const env = parseEnv(Env, { NATS_URL: '', AUDIT_BACKOFF_MS: '100, 200' }, 'test');
    expect(processSettings(env, 'audit')).toEqual({
      nats: {
        servers: 'nats://127.0.0.1:4222',
        name: 'audit',
        user: undefined,
        password: undefined,
        credsFile: undefined,
      },
      space: { stream: 'EVENTS', events: 'events', services: 'svc' },
      ops: { host: '0.0.0.0', port: 9100 },
      logLevel: 'info',
    });
    expect(env.DATABASE_URL).toBe('postgres://root@127.0.0.1:5432/chom_test');
    expect(env.DATABASE_PLAN_CACHE_MODE).toBe('force_custom_plan');
    expect(listenerSettings(env, 'AUDIT')).toEqual({
      maxDeliver: 3,
      backoffMs: [100, 200],
      ackWaitMs: 30_000,
      concurrency: 16,
      maxAckPending: 256,
      batchSize: 1,
    });
  });

  it('reads the database settings, the pool cap unset by default', () => {
    expect(databaseSettings(parseEnv(Env, { DATABASE_POOL_MAX: '' }, 'test'))).toEqual({
      url: 'postgres://root@127.0.0.1:5432/chom_test',
      poolMax: undefined,
      planCacheMode: 'force_custom_plan',
    });
    const env = parseEnv(
      Env,
      {
        DATABASE_URL: 'postgresql://svc:s3cret@db:5433/chom_audit',
        DATABASE_POOL_MAX: '12',
        DATABASE_PLAN_CACHE_MODE: 'auto',
      },
      'test',
    );
    expect(databaseSettings(env)).toEqual({
      url: 'postgresql://svc:s3cret@db:5433/chom_audit',
      poolMax: 12,
      planCacheMode: 'auto',
    });
    expect(() => parseEnv(Env, { DATABASE_POOL_MAX: '1' }, 'test')).toThrow(/DATABASE_POOL_MAX/);
  });

  it("takes Postgres's plan cache mode, one of two", () => {
    expect(parseEnv(Env, { DATABASE_PLAN_CACHE_MODE: 'auto' }, 'test').DATABASE_PLAN_CACHE_MODE).toBe('auto');
    expect(() => parseEnv(Env, { DATABASE_PLAN_CACHE_MODE: 'force_generic_plan' }, 'test')).toThrow(
      /DATABASE_PLAN_CACHE_MODE/,
    );
  });

  it('names every invalid variable in one error', () => {
    const attempt = () =>
      parseEnv(
        Env,
        { DATABASE_URL: 'mysql://x', AUDIT_BACKOFF_MS: 'soon', OPS_PORT: '70000', EVENTS_SUBJECT_ROOT: 'a.*' },
        'the audit service',
      );
    expect(attempt).toThrow(ConfigError);
    expect(attempt).toThrow(/DATABASE_URL[\s\S]*OPS_PORT|OPS_PORT[\s\S]*DATABASE_URL/);
    try {
      attempt();
    } catch (error) {
      const message = (error as Error).message;
      for (const name of ['DATABASE_URL', 'AUDIT_BACKOFF_MS', 'OPS_PORT', 'EVENTS_SUBJECT_ROOT'])
        expect(message).toContain(name);
      expect(message).toContain('the audit service');
    }
  });
});
