import type { TenantStats } from '@chom/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, startHarness, type Harness } from './harness.js';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => {
  await h?.close();
});

describe('GET /api/v1/tenant/stats', () => {
  it("answers with the caller's tenant statistics, the tenant taken from the token", async () => {
    await h.app.inject({
      method: 'POST',
      url: '/api/v1/sites',
      headers: await bearer('t_stats'),
      payload: { domain: 'stats.example.com', siteType: 'html' },
    });
    const response = await h.app.inject({
      method: 'GET',
      url: '/api/v1/tenant/stats?tenantId=t_other',
      headers: await bearer('t_stats', 'viewer'),
    });
    expect(response.statusCode).toBe(200);
    const body = response.json<TenantStats>();
    expect(body).toMatchObject({ tenantId: 't_stats', sites: { live: 1 } });
    const call = h.stubs.calls.findLast((c) => c.op === 'metrics.tenant-stats');
    expect(call?.request).toMatchObject({ ctx: { tenantId: 't_stats', actor: { type: 'user' } } });
  });

  it('needs a token', async () => {
    const response = await h.app.inject({ method: 'GET', url: '/api/v1/tenant/stats' });
    expect(response.statusCode).toBe(401);
  });
});
