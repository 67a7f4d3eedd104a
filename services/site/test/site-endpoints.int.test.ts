import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventSubject, SiteOps, type Site } from '@chom/contracts';
import { ctx, outboxRow, startHarness, uniqueDomain, type Harness } from './harness.js';
import { provisionSite } from '../src/handlers/provision-site.js';

let h: Harness;

beforeAll(async () => {
  h = await startHarness({ pool: [{ id: 'vps-1', hostname: 'vps-1', capacity: 5 }] });
});

afterAll(async () => {
  await h?.close();
});

describe('site.create', () => {
  it('stores the site as provisioning and publishes site.created through the outbox', async () => {
    const domain = uniqueDomain('create');
    const request = { ctx: ctx('t_create'), domain: `  ${domain.toUpperCase()} `, siteType: 'wordpress' as const };
    const site = await h.call(SiteOps.create, request);
    expect(site).toMatchObject({ tenantId: 't_create', domain, siteType: 'wordpress', status: 'provisioning' });
    expect(site.vpsId).toBeNull();

    const event = await h.createdEvent(site.id);
    expect(event).toMatchObject({
      type: 'site.created',
      version: 1,
      source: 'site',
      tenantId: 't_create',
      actor: request.ctx.actor,
      correlationId: request.ctx.correlationId,
      causationId: null,
      data: { siteId: site.id, domain, siteType: 'wordpress' },
    });
    const subject = eventSubject(h.space, 't_create', 'site.created');
    expect((await outboxRow(h.database, event.id))?.subject).toBe(subject);

    await expect
      .poll(
        async () =>
          (await h.jsm.streams.getMessage(h.space.stream, { last_by_subj: subject }))?.header.get('Nats-Msg-Id'),
        {
          timeout: 5000,
        },
      )
      .toBe(event.id);
    const stored = await h.jsm.streams.getMessage(h.space.stream, { last_by_subj: subject });
    expect(stored?.json()).toEqual(event);
    await expect.poll(async () => (await outboxRow(h.database, event.id))?.sentAt, { timeout: 5000 }).not.toBeNull();
  });

  it('refuses a domain live in another tenant with DOMAIN_TAKEN, and frees it on delete', async () => {
    const domain = uniqueDomain('taken');
    const first = await h.call(SiteOps.create, { ctx: ctx('t_a'), domain, siteType: 'html' });
    await expect(h.call(SiteOps.create, { ctx: ctx('t_b'), domain, siteType: 'html' })).rejects.toMatchObject({
      code: 'DOMAIN_TAKEN',
    });
    await expect(h.call(SiteOps.create, { ctx: ctx('t_a'), domain, siteType: 'php' })).rejects.toMatchObject({
      code: 'DOMAIN_TAKEN',
    });

    await h.call(SiteOps.delete, { ctx: ctx('t_a'), siteId: first.id });
    const again = await h.call(SiteOps.create, { ctx: ctx('t_b'), domain, siteType: 'laravel' });
    expect(again).toMatchObject({ tenantId: 't_b', domain, status: 'provisioning' });
  });

  it('gives each domain of concurrent creations one site, and writes events only for the sites stored', async () => {
    const domains = Array.from({ length: 8 }, (_, i) => uniqueDomain(`burst${i}`));
    const requests = domains.flatMap((domain) =>
      ['t_x', 't_y', 't_z'].map((tenant) => ({ ctx: ctx(tenant), domain, siteType: 'html' as const })),
    );
    const outcomes = await Promise.allSettled(requests.map((r) => h.call(SiteOps.create, r)));
    const created = outcomes.flatMap((o) => (o.status === 'fulfilled' ? [o.value] : []));
    const refused = outcomes.flatMap((o) => (o.status === 'rejected' ? [o.reason as { code?: string }] : []));
    expect(created.map((s) => s.domain).sort()).toEqual([...domains].sort());
    expect(refused).toHaveLength(16);
    expect(new Set(refused.map((e) => e.code))).toEqual(new Set(['DOMAIN_TAKEN']));

    const events = (await h.outboxEvents()).filter(
      (e) => e.type === 'site.created' && domains.includes((e.data as { domain: string }).domain),
    );
    expect(events.map((e) => (e.data as { siteId: string }).siteId).sort()).toEqual(created.map((s) => s.id).sort());
    for (const site of created) {
      await expect(h.call(SiteOps.get, { ctx: ctx(site.tenantId), siteId: site.id })).resolves.toMatchObject({
        id: site.id,
        domain: site.domain,
      });
    }
  });

  it('rejects invalid input with VALIDATION_FAILED', async () => {
    await expect(
      h.call(SiteOps.create, { ctx: ctx('t_a'), domain: 'not a domain', siteType: 'wordpress' }),
    ).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
  });
});

describe('tenant scoping', () => {
  it("answers SITE_NOT_FOUND for another tenant's site on get and delete", async () => {
    const site = await h.call(SiteOps.create, { ctx: ctx('t_owner'), domain: uniqueDomain(), siteType: 'html' });
    expect(await h.call(SiteOps.get, { ctx: ctx('t_owner'), siteId: site.id })).toEqual(site);
    await expect(h.call(SiteOps.get, { ctx: ctx('t_other'), siteId: site.id })).rejects.toMatchObject({
      code: 'SITE_NOT_FOUND',
    });
    await expect(h.call(SiteOps.delete, { ctx: ctx('t_other'), siteId: site.id })).rejects.toMatchObject({
      code: 'SITE_NOT_FOUND',
    });
    const others = await h.call(SiteOps.list, { ctx: ctx('t_other'), limit: 100 });
    expect(others.items.map((s) => s.id)).not.toContain(site.id);
    expect((await h.call(SiteOps.get, { ctx: ctx('t_owner'), siteId: site.id })).status).toBe('provisioning');
  });
});

describe('site.list', () => {
  it('pages newest first with an opaque cursor until the end, filtered by status', async () => {
    const tenant = ctx('t_pages');
    const created: Site[] = [];
    for (let i = 0; i < 7; i++) {
      created.push(await h.call(SiteOps.create, { ctx: tenant, domain: uniqueDomain(`p${i}`), siteType: 'html' }));
    }
    const seen: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const page = await h.call(SiteOps.list, { ctx: tenant, limit: 3, ...(cursor ? { cursor } : {}) });
      seen.push(...page.items.map((s) => s.id));
      cursor = page.nextCursor ?? undefined;
      pages += 1;
    } while (cursor);
    expect(pages).toBe(3);
    expect(seen).toEqual(created.map((s) => s.id).reverse());

    const deleted = created[0] as Site;
    await h.call(SiteOps.delete, { ctx: tenant, siteId: deleted.id });
    const live = await h.call(SiteOps.list, { ctx: tenant, limit: 100 });
    expect(live.items.map((s) => s.id)).not.toContain(deleted.id);
    expect(live.nextCursor).toBeNull();
    const onlyDeleted = await h.call(SiteOps.list, { ctx: tenant, limit: 100, status: 'deleted' });
    expect(onlyDeleted.items.map((s) => s.id)).toEqual([deleted.id]);
    const provisioning = await h.call(SiteOps.list, { ctx: tenant, limit: 100, status: 'provisioning' });
    expect(provisioning.items).toHaveLength(6);
  });

  it('rejects a cursor it did not hand out', async () => {
    await expect(h.call(SiteOps.list, { ctx: ctx('t_pages'), limit: 3, cursor: 'bogus' })).rejects.toMatchObject({
      code: 'VALIDATION_FAILED',
    });
  });
});

describe('site.delete', () => {
  it('soft-deletes, releases the VPS and emits site.deleted in the same transaction', async () => {
    const tenant = ctx('t_delete');
    const site = await h.call(SiteOps.create, { ctx: tenant, domain: uniqueDomain('del'), siteType: 'php' });
    const before = (await h.vps('vps-1'))?.allocated ?? 0;
    expect(await provisionSite(await h.createdEvent(site.id), h.deps)).toMatchObject({ outcome: 'provisioned' });
    expect((await h.vps('vps-1'))?.allocated).toBe(before + 1);

    const deleted = await h.call(SiteOps.delete, { ctx: tenant, siteId: site.id });
    expect(deleted).toMatchObject({ id: site.id, status: 'deleted', vpsId: null });
    expect(deleted.deletedAt).not.toBeNull();
    expect((await h.vps('vps-1'))?.allocated).toBe(before);

    const event = (await h.outboxEvents()).find((e) => e.type === 'site.deleted' && e.data.siteId === site.id);
    expect(event).toMatchObject({
      tenantId: 't_delete',
      correlationId: tenant.correlationId,
      data: { siteId: site.id, tenantId: 't_delete', domain: site.domain },
    });

    await expect(h.call(SiteOps.get, { ctx: tenant, siteId: site.id })).rejects.toMatchObject({
      code: 'SITE_NOT_FOUND',
    });
    await expect(h.call(SiteOps.delete, { ctx: tenant, siteId: site.id })).rejects.toMatchObject({
      code: 'SITE_NOT_FOUND',
    });
    expect((await h.outboxEvents()).filter((e) => e.type === 'site.deleted' && e.data.siteId === site.id)).toHaveLength(
      1,
    );
  });
});
