import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from './config.js';

describe('loadConfig', () => {
  it('defaults to the seeds: tenant stats 3 tries 30 s apart, ops port 9105', () => {
    const config = loadConfig({});
    expect(config.ops.port).toBe(9105);
    expect(config.database.url).toMatch(/\/chom_metrics$/);
    expect(config.listeners.tenantStats).toMatchObject({ maxDeliver: 3, backoffMs: [30_000] });
    expect(config.listeners.metrics.maxDeliver).toBe(5);
  });

  it('takes millisecond backoffs and names every bad variable', () => {
    expect(loadConfig({ TENANT_STATS_BACKOFF_MS: '10,20' }).listeners.tenantStats.backoffMs).toEqual([10, 20]);
    expect(() => loadConfig({ METRICS_MAX_DELIVER: '0', OPS_PORT: 'x' })).toThrow(ConfigError);
    expect(() => loadConfig({ METRICS_MAX_DELIVER: '0', OPS_PORT: 'x' })).toThrow(
      /METRICS_MAX_DELIVER[\s\S]*OPS_PORT|OPS_PORT[\s\S]*METRICS_MAX_DELIVER/,
    );
  });
});
