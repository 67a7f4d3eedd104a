import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { SiteOps, type AnyEvent, type Site } from '@chom/contracts';
import type { VpsSpec } from '../src/config.js';
import { seedVpsPool } from '../src/db/queries.js';
import { NO_VPS_AVAILABLE, provisionSite } from '../src/handlers/provision-site.js';
import type { ProvisionRequest } from '../src/provisioning/provisioner.js';
import { SimulatedProvisioner } from '../src/provisioning/simulated-provisioner.js';
import { ctx, startHarness, uniqueDomain, type Harness } from './harness.js';

const POOL: VpsSpec[] = [
  { id: 'vps-a', hostname: 'vps-a', capacity: 20 },
  { id: 'vps-b', hostname: 'vps-b', capacity: 20 },
];
const simulated = new SimulatedProvisioner({ durationMs: 5, failureRate: 0, failDomains: /^fail-/ });
let provision: (request: ProvisionRequest) => Promise<void> = (r) => simulated.provision(r);
let h: Harness;

beforeAll(async () => {
  h = await startHarness({ pool: POOL, relay: false, provisioner: { provision: (r) => provision(r) } });
});

afterEach(() => {
  provision = (r) => simulated.provision(r);
});

afterAll(async () => {
  await h?.close();
});

const tenant = ctx('t_prov');

async function createSite(label = 'prov'): Promise<Site> {
  return h.call(SiteOps.create, { ctx: tenant, domain: uniqueDomain(label), siteType: 'wordpress' });
}

const allocated = async () => {
  const [a, b] = await Promise.all([h.vps('vps-a'), h.vps('vps-b')]);
  return (a?.allocated ?? 0) + (b?.allocated ?? 0);
};

const eventsOf = async (siteId: string): Promise<AnyEvent[]> =>
  (await h.outboxEvents()).filter((e) => 'siteId' in e.data && e.data.siteId === siteId);

const get = (siteId: string) => h.call(SiteOps.get, { ctx: tenant, siteId });

describe('provisionSite', () => {
  it('allocates a VPS, provisions and records site.provisioned caused by site.created', async () => {
    const site = await createSite();
    const created = await h.createdEvent(site.id);
    const before = await allocated();

    const result = await provisionSite(created, h.deps);
    expect(result).toMatchObject({ outcome: 'provisioned' });

    const active = await get(site.id);
    expect(active).toMatchObject({ status: 'active', failureReason: null });
    expect(['vps-a', 'vps-b']).toContain(active.vpsId);
    expect(active.provisionedAt).not.toBeNull();
    expect(await allocated()).toBe(before + 1);

    const provisioned = (await eventsOf(site.id)).find((e) => e.type === 'site.provisioned');
    expect(provisioned).toMatchObject({
      source: 'site',
      tenantId: created.tenantId,
      actor: created.actor,
      correlationId: created.correlationId,
      causationId: created.id,
      data: { siteId: site.id, domain: site.domain, vpsId: active.vpsId },
    });
    expect(provisioned?.type === 'site.provisioned' && provisioned.data.durationSeconds).toBeGreaterThanOrEqual(0);
  });

  it('spreads sites over the least loaded server', async () => {
    const [a, b] = await Promise.all([h.vps('vps-a'), h.vps('vps-b')]);
    const site = await createSite('spread');
    await provisionSite(await h.createdEvent(site.id), h.deps);
    const expected = (a?.allocated ?? 0) <= (b?.allocated ?? 0) ? 'vps-a' : 'vps-b';
    expect((await get(site.id)).vpsId).toBe(expected);
  });

  it("fails the site with 'No VPS server available' when the pool is full", async () => {
    await seedVpsPool(h.deps.db, [{ id: 'vps-full', hostname: 'vps-full', capacity: 0 }]);
    try {
      const site = await createSite('full');
      const created = await h.createdEvent(site.id);
      expect(await provisionSite(created, h.deps)).toEqual({ outcome: 'failed', reason: NO_VPS_AVAILABLE });
      expect(await get(site.id)).toMatchObject({ status: 'failed', failureReason: NO_VPS_AVAILABLE, vpsId: null });
      const failed = (await eventsOf(site.id)).find((e) => e.type === 'site.provisioning_failed');
      expect(failed).toMatchObject({ causationId: created.id, data: { errorMessage: NO_VPS_AVAILABLE } });
    } finally {
      await seedVpsPool(h.deps.db, POOL);
    }
  });

  it('never over-allocates a small pool under concurrent provisioning', async () => {
    await seedVpsPool(h.deps.db, [{ id: 'vps-small', hostname: 'vps-small', capacity: 3 }]);
    try {
      const sites = await Promise.all(Array.from({ length: 6 }, () => createSite('race')));
      const events = await Promise.all(sites.map((s) => h.createdEvent(s.id)));
      const results = await Promise.all(events.map((e) => provisionSite(e, h.deps)));
      expect(results.filter((r) => r.outcome === 'provisioned')).toHaveLength(3);
      expect(results.filter((r) => r.outcome === 'failed' && r.reason === NO_VPS_AVAILABLE)).toHaveLength(3);
      expect(await h.vps('vps-small')).toMatchObject({ allocated: 3, capacity: 3 });
    } finally {
      await seedVpsPool(h.deps.db, POOL);
    }
  });

  it('provisions a burst of sites at once: one unit and one site.provisioned each', async () => {
    const sites = await Promise.all(Array.from({ length: 12 }, () => createSite('burst')));
    const events = await Promise.all(sites.map((s) => h.createdEvent(s.id)));
    const before = await allocated();
    const results = await Promise.all(events.map((e) => provisionSite(e, h.deps)));
    expect(results.map((r) => r.outcome)).toEqual(sites.map(() => 'provisioned'));
    expect(await allocated()).toBe(before + 12);
    for (const site of sites) {
      expect(await get(site.id)).toMatchObject({ status: 'active', vpsId: expect.stringMatching(/^vps-[ab]$/) });
      expect((await eventsOf(site.id)).map((e) => e.type)).toEqual(['site.created', 'site.provisioned']);
    }
  });

  it('fails the site on a ProvisioningError and releases its VPS', async () => {
    const site = await createSite('fail');
    const before = await allocated();
    const result = await provisionSite(await h.createdEvent(site.id), h.deps);
    expect(result).toMatchObject({ outcome: 'failed' });
    const failedSite = await get(site.id);
    expect(failedSite).toMatchObject({ status: 'failed', vpsId: null });
    expect(failedSite.failureReason).toContain(site.domain);
    expect(await allocated()).toBe(before);
    const failed = (await eventsOf(site.id)).find((e) => e.type === 'site.provisioning_failed');
    expect(failed?.type === 'site.provisioning_failed' && failed.data.errorTrace).toMatch(/simulated failure/);
  });

  it('is idempotent: run twice, even at once, it allocates once and emits once', async () => {
    const site = await createSite('twice');
    const created = await h.createdEvent(site.id);
    const before = await allocated();
    const results = await Promise.all([provisionSite(created, h.deps), provisionSite(created, h.deps)]);
    expect(results.map((r) => r.outcome).sort()).toEqual(['provisioned', 'skipped']);
    expect(await provisionSite(created, h.deps)).toEqual({ outcome: 'skipped', reason: 'not_provisioning' });
    expect(await allocated()).toBe(before + 1);
    expect((await eventsOf(site.id)).map((e) => e.type)).toEqual(['site.created', 'site.provisioned']);
  });

  it('lets other errors propagate, keeping the VPS for the retry to reuse', async () => {
    const site = await createSite('retry');
    const created = await h.createdEvent(site.id);
    const before = await allocated();
    provision = async () => {
      throw new Error('provisioning API unreachable');
    };
    await expect(provisionSite(created, h.deps)).rejects.toThrow('provisioning API unreachable');
    const held = await get(site.id);
    expect(held).toMatchObject({ status: 'provisioning' });
    expect(held.vpsId).not.toBeNull();
    expect(await allocated()).toBe(before + 1);

    provision = (r) => simulated.provision(r);
    expect(await provisionSite(created, h.deps)).toMatchObject({ outcome: 'provisioned', vpsId: held.vpsId });
    expect(await allocated()).toBe(before + 1);
  });

  it('skips a site deleted while it was being provisioned', async () => {
    const site = await createSite('gone');
    const created = await h.createdEvent(site.id);
    const before = await allocated();
    let finish: () => void = () => {};
    let started: () => void = () => {};
    const running = new Promise<void>((resolve) => (started = resolve));
    provision = () =>
      new Promise<void>((resolve) => {
        finish = resolve;
        started();
      });

    const outcome = provisionSite(created, h.deps);
    await running;
    await h.call(SiteOps.delete, { ctx: tenant, siteId: site.id });
    expect(await allocated()).toBe(before);
    finish();
    expect(await outcome).toEqual({ outcome: 'skipped', reason: 'not_provisioning' });
    expect(await allocated()).toBe(before);
    expect((await eventsOf(site.id)).map((e) => e.type)).toEqual(['site.created', 'site.deleted']);
  });

  it('skips an event whose site does not exist or belongs to another tenant', async () => {
    const site = await createSite('foreign');
    const created = await h.createdEvent(site.id);
    expect(await provisionSite({ ...created, tenantId: 't_else' }, h.deps)).toEqual({
      outcome: 'skipped',
      reason: 'site_not_found',
    });
  });
});
