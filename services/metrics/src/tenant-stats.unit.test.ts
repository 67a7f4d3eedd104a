import { describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { BackupCompleted, SiteCreated, SiteDeleted, SiteProvisioned, createEvent } from '@chom/contracts';
import { mergeDelta, planTenantStats, siteTarget, siteTransition } from './tenant-stats.js';

describe('siteTransition', () => {
  it('moves a site between the counters of the states it leaves and enters', () => {
    expect(siteTransition(undefined, 'provisioning')).toEqual({ to: 'provisioning', delta: { sitesProvisioning: 1 } });
    expect(siteTransition('provisioning', 'active')).toEqual({
      to: 'active',
      delta: { sitesProvisioning: -1, sitesActive: 1 },
    });
    expect(siteTransition('provisioning', 'failed')?.delta).toEqual({ sitesProvisioning: -1, sitesFailed: 1 });
    expect(siteTransition('failed', 'deleted')).toEqual({ to: 'deleted', delta: { sitesFailed: -1 } });
    expect(siteTransition('active', 'deleted')?.delta).toEqual({ sitesActive: -1 });
  });

  it('never moves a deleted site, nor a known one back to provisioning', () => {
    expect(siteTransition('deleted', 'active')).toBeUndefined();
    expect(siteTransition('active', 'provisioning')).toBeUndefined();
    expect(siteTransition('active', 'active')).toBeUndefined();
  });

  it('counts a site first seen after its creation in the state it is seen in', () => {
    expect(siteTransition(undefined, 'active')?.delta).toEqual({ sitesActive: 1 });
    expect(siteTransition(undefined, 'deleted')).toEqual({ to: 'deleted', delta: {} });
  });

  it('maps site events to states and ignores the others', () => {
    expect(siteTarget('site.provisioning_failed')).toBe('failed');
    expect(siteTarget('backup.completed')).toBeUndefined();
  });
});

const ctx = (tenantId: string) => ({
  tenantId,
  actor: { id: 'u_1', type: 'user' as const },
  source: 'test',
  correlationId: randomUUID(),
});

describe('mergeDelta', () => {
  it('sums counters and keeps the later backup time', () => {
    expect(
      mergeDelta(
        { sitesActive: 1, backupBytes: 10, lastBackupAt: '2026-01-02T00:00:00.000Z' },
        { sitesActive: -1, sitesFailed: 1, backupBytes: 5, lastBackupAt: '2026-01-01T00:00:00.000Z' },
      ),
    ).toEqual({ sitesActive: 0, sitesFailed: 1, backupBytes: 15, lastBackupAt: '2026-01-02T00:00:00.000Z' });
  });
});

describe('planTenantStats', () => {
  it('applies a batch in order: one row per moved site, one summed delta per tenant', () => {
    const [a, b, c] = [randomUUID(), randomUUID(), randomUUID()];
    const events = [
      createEvent(SiteCreated, ctx('t1'), { siteId: a, domain: 'a.example.com', siteType: 'wordpress' }),
      createEvent(SiteProvisioned, ctx('t1'), {
        siteId: b,
        domain: 'b.example.com',
        vpsId: 'vps-1',
        durationSeconds: 1,
      }),
      createEvent(SiteDeleted, ctx('t2'), { siteId: c, tenantId: 't2', domain: 'c.example.com' }),
      createEvent(BackupCompleted, ctx('t1'), {
        backupId: randomUUID(),
        siteId: b,
        backupType: 'full',
        sizeBytes: 100,
        durationSeconds: 2,
      }),
      createEvent(SiteProvisioned, ctx('t1'), {
        siteId: c,
        domain: 'c.example.com',
        vpsId: 'vps-1',
        durationSeconds: 1,
      }),
    ];
    const plan = planTenantStats(
      events,
      new Map([
        [b, 'provisioning'],
        [c, 'active'],
      ]),
    );
    expect(plan.sites).toEqual([
      { siteId: a, tenantId: 't1', state: 'provisioning' },
      { siteId: b, tenantId: 't1', state: 'active' },
      { siteId: c, tenantId: 't2', state: 'deleted' },
    ]);
    expect(plan.deltas.get('t1')).toEqual({
      sitesProvisioning: 0,
      sitesActive: 1,
      backupsCompleted: 1,
      backupBytes: 100,
      lastBackupAt: events[3]?.occurredAt,
    });
    expect(plan.deltas.get('t2')).toEqual({ sitesActive: -1 });
  });
});
