import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SiteOps, type SiteSslExpiring } from '@chom/contracts';
import { sites } from '../src/db/schema.js';
import { DAY_MS } from '../src/deps.js';
import { provisionSite } from '../src/handlers/provision-site.js';
import { checkSslExpiry } from '../src/ssl/check-ssl-expiry.js';
import { ctx, startHarness, uniqueDomain, type Harness } from './harness.js';

let h: Harness;

beforeAll(async () => {
  h = await startHarness({ relay: false });
});

afterAll(async () => {
  await h?.close();
});

async function activeSite(tenantId: string): Promise<string> {
  const site = await h.call(SiteOps.create, { ctx: ctx(tenantId), domain: uniqueDomain('ssl'), siteType: 'html' });
  await provisionSite(await h.createdEvent(site.id), h.deps);
  return site.id;
}

const setExpiry = (siteId: string, at: Date) =>
  h.database.db.update(sites).set({ sslExpiresAt: at }).where(eq(sites.id, siteId));

const sslEvents = async () =>
  (await h.outboxEvents()).filter((e): e is SiteSslExpiring => e.type === 'site.ssl_expiring');

describe('certificate expiry check', () => {
  it('gives a provisioned site a certificate valid for 90 days', async () => {
    const siteId = await activeSite('t_ssl_issue');
    const [row] = await h.database.db.select().from(sites).where(eq(sites.id, siteId));
    const days = ((row?.sslExpiresAt?.getTime() ?? 0) - (row?.provisionedAt?.getTime() ?? 0)) / DAY_MS;
    expect(days).toBe(90);
  });

  it('emits site.ssl_expiring once per site per day, only inside the window, also with checks racing', async () => {
    const soon = await activeSite('t_ssl');
    const later = await activeSite('t_ssl');
    const expired = await activeSite('t_ssl');
    await setExpiry(soon, new Date(Date.now() + 10 * DAY_MS));
    await setExpiry(later, new Date(Date.now() + 30 * DAY_MS));
    await setExpiry(expired, new Date(Date.now() - DAY_MS));

    const runs = await Promise.all([
      h.call(SiteOps.checkSslExpiry, {}),
      checkSslExpiry(h.deps),
      checkSslExpiry(h.deps),
    ]);
    expect(runs.map((r) => (typeof r === 'number' ? r : r.emitted)).reduce((a, b) => a + b)).toBe(1);
    expect(await checkSslExpiry(h.deps)).toBe(0);

    const events = (await sslEvents()).filter((e) => e.tenantId === 't_ssl');
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({
      source: 'site',
      actor: { id: 'system', type: 'system' },
      data: { siteId: soon, daysUntilExpiration: 10 },
    });

    // The next day it warns again.
    const tomorrow = { ...h.deps, now: () => new Date(Date.now() + DAY_MS) };
    expect(await checkSslExpiry(tomorrow)).toBe(1);
    expect((await sslEvents()).filter((e) => e.data.siteId === soon).map((e) => e.data.daysUntilExpiration)).toEqual([
      10, 9,
    ]);
  });
});
