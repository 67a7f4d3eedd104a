import { randomUUID } from 'node:crypto';
import { BackupCompleted, SiteProvisioned, createEvent } from '@chom/contracts';
import { createMetricsRegistry } from '@chom/telemetry';
import { describe, expect, it } from 'vitest';
import { applyEvent, createBusinessMetrics } from './business-metrics.js';

const ctx = { tenantId: 't_1', actor: { id: 'u_1', type: 'user' as const }, source: 'test', correlationId: 'c' };

describe('business metrics', () => {
  it('serves every seed metric at 0 for each known type before any event', async () => {
    const registry = createMetricsRegistry('metrics', { defaultMetrics: false });
    createBusinessMetrics(registry);
    const text = await registry.metrics();
    for (const name of [
      'sites_created_total',
      'sites_provisioned_total',
      'sites_provisioning_failed_total',
      'sites_deleted_total',
      'backups_completed_total',
      'backups_failed_total',
    ])
      expect(text).toMatch(new RegExp(`^${name}\\{[^}]*\\} 0$`, 'm'));
    expect(text).toMatch(/^site_provisioning_duration_seconds_count\{[^}]*site_type="php"[^}]*\} 0$/m);
    expect(text).toMatch(/^backup_size_bytes_bucket\{le="68719476736",[^}]*backup_type="files"[^}]*\} 0$/m);
  });

  it('labels by site and backup type, observing durations and sizes', async () => {
    const registry = createMetricsRegistry('metrics', { defaultMetrics: false });
    const metrics = createBusinessMetrics(registry);
    const siteId = randomUUID();
    applyEvent(
      metrics,
      createEvent(SiteProvisioned, ctx, { siteId, domain: 'a.example.com', vpsId: 'v', durationSeconds: 7 }),
      'laravel',
    );
    applyEvent(
      metrics,
      createEvent(BackupCompleted, ctx, {
        backupId: randomUUID(),
        siteId,
        backupType: 'files',
        sizeBytes: 20 * 2 ** 30,
        durationSeconds: 900,
      }),
      '',
    );
    const text = await registry.metrics();
    expect(text).toMatch(/^sites_provisioned_total\{[^}]*site_type="laravel"[^}]*\} 1$/m);
    expect(text).toMatch(/^site_provisioning_duration_seconds_bucket\{le="10",[^}]*site_type="laravel"[^}]*\} 1$/m);
    expect(text).toMatch(/^backup_size_bytes_bucket\{le="17179869184",[^}]*backup_type="files"[^}]*\} 0$/m);
    expect(text).toMatch(/^backup_size_bytes_bucket\{le="68719476736",[^}]*backup_type="files"[^}]*\} 1$/m);
    expect(text).toMatch(/^backup_duration_seconds_bucket\{le="1200",[^}]*backup_type="files"[^}]*\} 1$/m);
  });
});
