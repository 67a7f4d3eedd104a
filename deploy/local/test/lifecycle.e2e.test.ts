import { getPriority } from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_LISTENER_NICE, stackConfig } from '../stack.mjs';
import { api, startTestStack, threadNiceness } from './harness.js';

// The README's walk-through, against the services started as real processes.
describe('site lifecycle through the gateway', () => {
  let env: Awaited<ReturnType<typeof startTestStack>>;
  let call: ReturnType<typeof api>;
  let other: ReturnType<typeof api>;

  beforeAll(async () => {
    env = await startTestStack('life', { site: { PROVISION_DURATION_MS: '150' } });
    call = api(env.stack, await env.stack.token({ tenant: 't_life', user: 'u_alice' }));
    other = api(env.stack, await env.stack.token({ tenant: 't_other', user: 'u_bob' }));
  });
  afterAll(async () => {
    await env?.cleanup();
  });

  it('creates, provisions, audits and deletes a site', async () => {
    const created = await call('POST', '/api/v1/sites', { domain: 'Shop.Example.com', siteType: 'wordpress' });
    expect(created.status).toBe(201);
    const site = created.body as { id: string; status: string; domain: string; tenantId: string };
    expect(site).toMatchObject({ status: 'provisioning', domain: 'shop.example.com', tenantId: 't_life' });

    const startedAt = Date.now();
    await expect
      .poll(async () => (await call('GET', `/api/v1/sites/${site.id}`)).body?.status, { timeout: 2000, interval: 50 })
      .toBe('active');
    expect(Date.now() - startedAt).toBeLessThan(2000);

    await expect
      .poll(
        async () => {
          const page = await call('GET', `/api/v1/audit-logs?resourceId=${site.id}`);
          return ((page.body?.items as { action: string }[]) ?? []).map((e) => e.action).sort();
        },
        { timeout: 5000, interval: 100 },
      )
      .toEqual(['site.created', 'site.provisioned']);

    expect((await other('GET', `/api/v1/sites/${site.id}`)).status).toBe(404);
    expect(((await other('GET', `/api/v1/audit-logs?resourceId=${site.id}`)).body?.items as unknown[]).length).toBe(0);

    const deleted = await call('DELETE', `/api/v1/sites/${site.id}`);
    expect(deleted.status).toBe(200);
    await expect
      .poll(
        async () => {
          const page = await call('GET', `/api/v1/audit-logs?resourceId=${site.id}&action=site.deleted`);
          return ((page.body?.items as { severity: string }[]) ?? []).map((e) => e.severity);
        },
        { timeout: 5000, interval: 100 },
      )
      .toEqual(['warning']);
    expect((await call('GET', `/api/v1/sites/${site.id}`)).status).toBe(404);
  });

  it('runs the listener services at a lower priority than the gateway and the site service', async () => {
    expect(stackConfig({ env: {} }).listenerNice).toBe(DEFAULT_LISTENER_NICE);
    expect(DEFAULT_LISTENER_NICE).toBeGreaterThan(0);
    // nice(1) adds to the launcher's own niceness, up to 19.
    const own = getPriority();
    const listener = Math.min(own + env.config.listenerNice, 19);
    for (const [name, { child }] of env.stack.children) {
      const threads = await threadNiceness(child.pid as number);
      expect(threads.length, name).toBeGreaterThan(5);
      expect(new Set(threads), name).toEqual(new Set([name === 'gateway' || name === 'site' ? own : listener]));
    }
  });

  it('answers bad input with typed 4xx errors', async () => {
    const raw = (body: string, headers: Record<string, string> = {}) =>
      fetch(`${env.stack.gatewayUrl}/api/v1/sites`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body,
      });
    const token = await env.stack.token({ tenant: 't_life' });
    const auth = { authorization: `Bearer ${token}` };
    const cases: Array<[string, Response]> = [
      ['no token', await raw('{"domain":"a.example.com","siteType":"html"}')],
      ['malformed JSON', await raw('{"domain":', auth)],
      ['wrong types', await raw('{"domain":42,"siteType":"html"}', auth)],
      ['unknown field', await raw('{"domain":"b.example.com","siteType":"html","admin":true}', auth)],
      ['invalid domain', await raw('{"domain":"not_a_domain","siteType":"html"}', auth)],
      [
        '1 MB body',
        await raw(JSON.stringify({ domain: 'c.example.com', siteType: 'html', pad: 'x'.repeat(1 << 20) }), auth),
      ],
    ];
    for (const [name, response] of cases) {
      expect(response.status, name).toBeGreaterThanOrEqual(400);
      expect(response.status, name).toBeLessThan(500);
      const body = (await response.json()) as { error?: { code?: string; message?: string } };
      expect(typeof body.error?.code, name).toBe('string');
    }
    expect(cases[0]?.[1].status).toBe(401);
    expect(cases[5]?.[1].status).toBe(413);
  });
});
