import { randomUUID } from 'node:crypto';
import { MetricsOps } from '@chom/contracts';
import { countFailures } from '@chom/db';
import { requestOperation } from '@chom/messaging';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backupCompleted, backupFailed, siteEvents } from './fixtures.js';
import { startHarness, type MetricsHarness } from './harness.js';

// Events published to the test stream, through both real listeners, into the registry and
// the tenant statistics, read back through the real `metrics.tenant-stats` endpoint.
describe('metrics service', () => {
  let h: MetricsHarness;

  beforeAll(async () => {
    h = await startHarness('service');
  });
  afterAll(async () => {
    await h?.stop();
  });

  const stats = (tenantId: string) =>
    requestOperation(h.nc, h.space, MetricsOps.tenantStats, {
      ctx: { tenantId, actor: { id: 'u_1', type: 'user' }, correlationId: randomUUID() },
    });
  const processed = async (consumer: string) =>
    (await h.database.sql`select count(*)::int as n from processed_events where consumer = ${consumer}`)[0]
      ?.n as number;

  it('counts every event once, by site and backup type, even when the stream holds it twice', async () => {
    const t = 't_count';
    const ok = [siteEvents(t, { siteType: 'laravel', deleted: true }), siteEvents(t, { siteType: 'laravel' })];
    const failed = siteEvents(t, { siteType: 'html', fails: true, deleted: true });
    const backups = [backupCompleted(t, ok[0]!.siteId, 3 << 20), backupFailed(t, ok[1]!.siteId)];
    const events = [...ok.flatMap((s) => s.events), ...failed.events, ...backups];
    for (const e of events) await h.publish(e);
    // The same events again under other message ids: the stream keeps them, the listener must not count them.
    for (const e of events) await h.publish(e, randomUUID());

    await expect.poll(() => processed('metrics'), { timeout: 10_000 }).toBe(events.length);
    await expect
      .poll(() => h.value('chom_events_consumed_total', { consumer: 'metrics', outcome: 'ok' }).then(Boolean))
      .toBe(true);
    await expect
      .poll(async () => {
        const total = (await h.registry.getSingleMetric('chom_events_consumed_total')?.get())?.values ?? [];
        return total.filter((v) => v.labels.consumer === 'metrics').reduce((n, v) => n + v.value, 0);
      })
      .toBe(2 * events.length);
    expect(await h.value('sites_created_total', { site_type: 'laravel' })).toBe(2);
    expect(await h.value('sites_created_total', { site_type: 'html' })).toBe(1);
    expect(await h.value('sites_created_total', { site_type: 'php' })).toBe(0);
    expect(await h.value('sites_provisioned_total', { site_type: 'laravel' })).toBe(2);
    expect(await h.value('sites_provisioning_failed_total', { site_type: 'html' })).toBe(1);
    expect(await h.value('sites_deleted_total', { site_type: 'laravel' })).toBe(1);
    expect(await h.value('sites_deleted_total', { site_type: 'html' })).toBe(1);
    expect(await h.value('site_provisioning_duration_seconds_count', { site_type: 'laravel' })).toBe(2);
    expect(await h.value('site_provisioning_duration_seconds_sum', { site_type: 'laravel' })).toBeCloseTo(8.4);
    expect(await h.value('backups_completed_total', { backup_type: 'full' })).toBe(1);
    expect(await h.value('backups_failed_total', { backup_type: 'database' })).toBe(1);
    expect(await h.value('backup_size_bytes_sum', { backup_type: 'full' })).toBe(3 << 20);
    expect(await h.value('backup_size_bytes_bucket', { backup_type: 'full', le: String(4 << 20) })).toBe(1);
    expect(await h.value('backup_size_bytes_bucket', { backup_type: 'full', le: String(1 << 20) })).toBe(0);
    expect(await h.value('backup_duration_seconds_sum', { backup_type: 'full' })).toBe(12.5);

    const text = await h.registry.metrics();
    expect(text).not.toMatch(/tenant_?id|site_?id|t_count/i);
  });

  it('keeps tenant statistics through the site lifecycle and backups, once per event', async () => {
    const t = 't_stats';
    const active = siteEvents(t);
    const activeThenDeleted = siteEvents(t, { deleted: true });
    const failedThenDeleted = siteEvents(t, { fails: true, deleted: true });
    const failed = siteEvents(t, { fails: true });
    const provisioning = siteEvents(t);
    const lastAt = new Date('2025-06-01T10:00:00.000Z');
    const events = [
      ...active.events,
      ...activeThenDeleted.events,
      ...failedThenDeleted.events,
      ...failed.events,
      provisioning.events[0]!,
      backupCompleted(t, active.siteId, 1000, new Date('2025-05-01T10:00:00.000Z')),
      backupCompleted(t, active.siteId, 2500, lastAt),
      backupFailed(t, active.siteId),
    ];
    for (const e of events) await h.publish(e);
    for (const e of events) await h.publish(e, randomUUID());

    await expect.poll(() => processed('tenant-stats'), { timeout: 10_000 }).toBeGreaterThanOrEqual(events.length);
    await expect
      .poll(() => stats(t), { timeout: 10_000 })
      .toMatchObject({
        tenantId: t,
        sites: { live: 3, provisioning: 1, active: 1, failed: 1 },
        backups: { completed: 2, failed: 1, bytes: 3500, lastBackupAt: lastAt.toISOString() },
      });
    // Let every duplicate settle, then check nothing moved.
    await expect
      .poll(async () => (await h.service.listeners.get('tenant-stats')!.stats()).acked, { timeout: 10_000 })
      .toBeGreaterThanOrEqual(2 * events.length);
    expect((await stats(t)).sites).toEqual({ live: 3, provisioning: 1, active: 1, failed: 1 });
    expect(await countFailures(h.database.sql, { consumer: 'tenant-stats' })).toBe(0);
  });

  it("answers with zeros for a tenant without events, never another tenant's figures", async () => {
    expect(await stats('t_nobody')).toEqual({
      tenantId: 't_nobody',
      sites: { live: 0, provisioning: 0, active: 0, failed: 0 },
      backups: { completed: 0, failed: 0, bytes: 0, lastBackupAt: null },
      updatedAt: null,
    });
  });

  it('serves consumer queue depth and open failures for both listeners', async () => {
    const text = await h.registry.metrics();
    for (const consumer of ['metrics', 'tenant-stats']) {
      expect(text).toMatch(new RegExp(`chom_consumer_pending\\{consumer="${consumer}"[^}]*\\} \\d+`));
      expect(text).toMatch(new RegExp(`chom_consumer_ack_pending\\{consumer="${consumer}"[^}]*\\} \\d+`));
      expect(text).toMatch(new RegExp(`chom_failures_open\\{consumer="${consumer}"[^}]*\\} 0`));
    }
    expect(text).toMatch(/chom_event_lag_seconds_count\{[^}]*consumer="metrics",type="site.created"/);
  });
});
