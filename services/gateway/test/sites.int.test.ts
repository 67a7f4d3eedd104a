import { randomUUID } from 'node:crypto';
import type { AuditEntry, Site, SitePage } from '@chom/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SignJWT } from 'jose';
import { bearer, SECRET, startHarness, type Harness } from './harness.js';

function expiredToken() {
  return new SignJWT({ tenant: 't_alpha', role: 'owner' })
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject('u')
    .setIssuer('chom')
    .setAudience('chom-api')
    .setExpirationTime(Math.floor(Date.now() / 1000) - 5)
    .sign(new TextEncoder().encode(SECRET));
}

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => {
  await h?.close();
});

async function createSite(tenant: string, domain: string) {
  return h.app.inject({
    method: 'POST',
    url: '/api/v1/sites',
    headers: await bearer(tenant),
    payload: { domain, siteType: 'wordpress' },
  });
}

describe('site routes', () => {
  it('creates a site (201) in the caller’s tenant, whatever the body claims', async () => {
    const response = await h.app.inject({
      method: 'POST',
      url: '/api/v1/sites',
      headers: { ...(await bearer('t_alpha')), 'x-request-id': 'req-create-1' },
      payload: { domain: '  Shop.Example.COM ', siteType: 'wordpress' },
    });
    expect(response.statusCode).toBe(201);
    expect(response.headers['x-request-id']).toBe('req-create-1');
    const site = response.json<Site>();
    expect(site).toMatchObject({ tenantId: 't_alpha', domain: 'shop.example.com', status: 'creating' });
    const call = h.stubs.calls.find((c) => c.op === 'site.create');
    expect(call?.request).toMatchObject({
      ctx: { tenantId: 't_alpha', actor: { id: 'user-of-t_alpha', type: 'user' }, correlationId: 'req-create-1' },
    });
  });

  it('refuses a tenant smuggled in the body (unknown field) and never forwards it', async () => {
    const before = h.stubs.calls.length;
    const response = await h.app.inject({
      method: 'POST',
      url: '/api/v1/sites',
      headers: await bearer('t_alpha'),
      payload: { domain: 'evil.example.com', siteType: 'html', ctx: { tenantId: 't_beta' }, tenantId: 't_beta' },
    });
    expect(response.statusCode).toBe(400);
    expect(response.json().error.code).toBe('VALIDATION_FAILED');
    expect(h.stubs.calls.length).toBe(before);
  });

  it('maps DOMAIN_TAKEN to 409', async () => {
    expect((await createSite('t_alpha', 'taken.example.com')).statusCode).toBe(201);
    const again = await createSite('t_alpha', 'taken.example.com');
    expect(again.statusCode).toBe(409);
    expect(again.json()).toEqual({
      error: { code: 'DOMAIN_TAKEN', message: 'taken.example.com is taken', requestId: again.headers['x-request-id'] },
    });
  });

  it('lists, gets and deletes, scoped to the tenant', async () => {
    const mine = (await createSite('t_list', 'one.example.com')).json<Site>();
    await createSite('t_list', 'two.example.com');
    await createSite('t_other', 'three.example.com');

    const list = await h.app.inject({
      method: 'GET',
      url: '/api/v1/sites?limit=10&status=creating',
      headers: await bearer('t_list', 'viewer'),
    });
    expect(list.statusCode).toBe(200);
    const page = list.json<SitePage>();
    expect(page.items.map((s) => s.domain).sort()).toEqual(['one.example.com', 'two.example.com']);
    expect(h.stubs.calls.findLast((c) => c.op === 'site.list')?.request).toMatchObject({
      limit: 10,
      status: 'creating',
      ctx: { tenantId: 't_list' },
    });

    const got = await h.app.inject({
      method: 'GET',
      url: `/api/v1/sites/${mine.id}`,
      headers: await bearer('t_list', 'viewer'),
    });
    expect(got.statusCode).toBe(200);
    expect(got.json<Site>().id).toBe(mine.id);

    const foreign = await h.app.inject({
      method: 'GET',
      url: `/api/v1/sites/${mine.id}`,
      headers: await bearer('t_other'),
    });
    expect(foreign.statusCode).toBe(404);
    expect(foreign.json().error.code).toBe('SITE_NOT_FOUND');

    const deleted = await h.app.inject({
      method: 'DELETE',
      url: `/api/v1/sites/${mine.id}`,
      headers: await bearer('t_list', 'member'),
    });
    expect(deleted.statusCode).toBe(200);
    expect(deleted.json<Site>()).toMatchObject({ id: mine.id, status: 'deleted' });
  });

  it('maps SITE_NOT_FOUND to 404 and rejects a malformed id with 400', async () => {
    const missing = await h.app.inject({
      method: 'GET',
      url: `/api/v1/sites/${randomUUID()}`,
      headers: await bearer('t_alpha'),
    });
    expect(missing.statusCode).toBe(404);
    expect(missing.json().error.code).toBe('SITE_NOT_FOUND');
    const malformed = await h.app.inject({
      method: 'DELETE',
      url: '/api/v1/sites/not-a-uuid',
      headers: await bearer('t_alpha'),
    });
    expect(malformed.statusCode).toBe(400);
    expect(malformed.json().error).toMatchObject({ code: 'VALIDATION_FAILED', issues: [{ path: 'params.id' }] });
  });
});

describe('auth', () => {
  it('401 without a token, with a bad one, or an expired one', async () => {
    const none = await h.app.inject({ method: 'GET', url: '/api/v1/sites' });
    expect(none.statusCode).toBe(401);
    expect(none.json().error).toMatchObject({ code: 'UNAUTHORIZED', requestId: none.headers['x-request-id'] });
    const bad = await h.app.inject({
      method: 'GET',
      url: '/api/v1/sites',
      headers: { authorization: 'Bearer not.a.token' },
    });
    expect(bad.statusCode).toBe(401);
    const basic = await h.app.inject({ method: 'GET', url: '/api/v1/sites', headers: { authorization: 'Basic dTpw' } });
    expect(basic.statusCode).toBe(401);
    const expired = await h.app.inject({
      method: 'GET',
      url: '/api/v1/sites',
      headers: { authorization: `Bearer ${await expiredToken()}` },
    });
    expect(expired.json().error).toMatchObject({ code: 'UNAUTHORIZED', message: 'token expired' });
  });

  it('403 for a viewer on POST and DELETE, before anything reaches the service', async () => {
    const before = h.stubs.calls.length;
    const post = await h.app.inject({
      method: 'POST',
      url: '/api/v1/sites',
      headers: await bearer('t_alpha', 'viewer'),
      payload: { domain: 'view.example.com', siteType: 'html' },
    });
    expect(post.statusCode).toBe(403);
    expect(post.json().error.code).toBe('FORBIDDEN');
    const del = await h.app.inject({
      method: 'DELETE',
      url: `/api/v1/sites/${randomUUID()}`,
      headers: await bearer('t_alpha', 'viewer'),
    });
    expect(del.statusCode).toBe(403);
    expect(h.stubs.calls.length).toBe(before);
  });
});

describe('audit logs', () => {
  it('passes the query through with the caller’s tenant', async () => {
    const entry: AuditEntry = {
      id: '1',
      eventId: randomUUID(),
      action: 'site.created',
      tenantId: 't_audit',
      actorId: 'u1',
      actorType: 'user',
      resourceType: 'site',
      resourceId: randomUUID(),
      severity: 'info',
      metadata: { domain: 'a.example.com' },
      correlationId: 'c1',
      occurredAt: '2026-01-01T00:00:00.000Z',
      recordedAt: '2026-01-01T00:00:01.000Z',
    };
    h.stubs.auditEntries.push(entry, { ...entry, id: '2', tenantId: 't_elsewhere' });
    const response = await h.app.inject({
      method: 'GET',
      url: '/api/v1/audit-logs',
      query: {
        resourceType: 'site',
        action: 'site.created',
        severity: 'info',
        from: '2026-01-01T00:00:00Z',
        to: '2026-02-01T00:00:00Z',
        limit: '5',
      },
      headers: await bearer('t_audit', 'viewer'),
    });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({ items: [entry], nextCursor: null });
    expect(h.stubs.calls.findLast((c) => c.op === 'audit.query')?.request).toEqual({
      ctx: {
        tenantId: 't_audit',
        actor: { id: 'user-of-t_audit', type: 'user' },
        correlationId: response.headers['x-request-id'],
      },
      query: {
        resourceType: 'site',
        action: 'site.created',
        severity: 'info',
        from: '2026-01-01T00:00:00Z',
        to: '2026-02-01T00:00:00Z',
        limit: 5,
      },
    });
  });

  it('rejects an unknown filter and a reversed range with 400', async () => {
    const unknown = await h.app.inject({
      method: 'GET',
      url: '/api/v1/audit-logs?tenantId=t_elsewhere',
      headers: await bearer('t_audit'),
    });
    expect(unknown.statusCode).toBe(400);
    const reversed = await h.app.inject({
      method: 'GET',
      url: '/api/v1/audit-logs?from=2026-02-01T00:00:00Z&to=2026-01-01T00:00:00Z',
      headers: await bearer('t_audit'),
    });
    expect(reversed.statusCode).toBe(400);
    expect(reversed.json().error.issues).toEqual([{ path: 'query.from', message: '"from" must not be after "to"' }]);
  });
});
