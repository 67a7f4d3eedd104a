import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from './config.js';

describe('loadConfig', () => {
  it('defaults to the seeds: tenant stats 3 tries 30 s apart, ops port 9105', () => {
    const config = loadConfig({});
    expect(config.ops.port).toBe(9105);
    expect(config.database.url).toMatch(/\/chom_metrics$/);
    expect(config.listeners.tenantStats).toMatchObject({ maxDeliver: 3, backoffMs: [30_000] });
    expect(config.listeners.metrics.maxDeliver).toBe(5);
    expect(config.siteTypeWaitMs).toBe(300_000);
    expect(config.processedMarks).toEqual({ marginMs: 7 * 86_400_000, pruneIntervalMs: 3_600_000 });
  });

  it('takes the site-type wait and the processed-mark pruning, and refuses a prune interval under a second', () => {
    const config = loadConfig({
      METRICS_SITE_TYPE_WAIT_MS: '2000',
      PROCESSED_EVENTS_MARGIN_MS: '0',
      PROCESSED_EVENTS_PRUNE_INTERVAL_MS: '5000',
    });
    expect(config.siteTypeWaitMs).toBe(2_000);
    expect(config.processedMarks).toEqual({ marginMs: 0, pruneIntervalMs: 5_000 });
    expect(() => loadConfig({ PROCESSED_EVENTS_PRUNE_INTERVAL_MS: '10' })).toThrow(
      /PROCESSED_EVENTS_PRUNE_INTERVAL_MS/,
    );
  });

  it('takes millisecond backoffs and names every bad variable', () => {
    expect(loadConfig({ TENANT_STATS_BACKOFF_MS: '10,20' }).listeners.tenantStats.backoffMs).toEqual([10, 20]);
    expect(() => loadConfig({ METRICS_MAX_DELIVER: '0', OPS_PORT: 'x' })).toThrow(ConfigError);
    expect(() => loadConfig({ METRICS_MAX_DELIVER: '0', OPS_PORT: 'x' })).toThrow(
      /METRICS_MAX_DELIVER[\s\S]*OPS_PORT|OPS_PORT[\s\S]*METRICS_MAX_DELIVER/,
    );
  });
});
