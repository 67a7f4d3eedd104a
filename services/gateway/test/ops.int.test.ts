import { connectNats } from '@chom/messaging';
import { createMetricsRegistry } from '@chom/telemetry';
import { captureLogger } from '@chom/telemetry/testing';
import { jetstreamManager } from '@nats-io/jetstream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../src/app.js';
import { bearer, gate, NATS_URL, SECRET, startHarness, token, type Harness } from './harness.js';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => {
  await h?.close();
});

describe('docs', () => {
  it('serves the OpenAPI document with the bearer scheme and every route', async () => {
    const response = await h.app.inject({ method: 'GET', url: '/docs/json' });
    expect(response.statusCode).toBe(200);
    const doc = response.json();
    expect(doc.openapi).toMatch(/^3\./);
    expect(doc.components.securitySchemes.bearerAuth).toEqual({ type: 'http', scheme: 'bearer', bearerFormat: 'JWT' });
    expect(Object.keys(doc.paths).sort()).toEqual([
      '/api/v1/admin/failures',
      '/api/v1/admin/failures/prune',
      '/api/v1/admin/failures/retry',
      '/api/v1/admin/failures/{id}',
      '/api/v1/admin/failures/{id}/resolve',
      '/api/v1/admin/failures/{id}/retry',
      '/api/v1/admin/projections',
      '/api/v1/admin/projections/{name}',
      '/api/v1/admin/projections/{name}/rebuild',
      '/api/v1/audit-logs',
      '/api/v1/backups/{id}',
      '/api/v1/backups/{id}/download',
      '/api/v1/notifications',
      '/api/v1/notifications/read-all',
      '/api/v1/notifications/{id}/read',
      '/api/v1/sites',
      '/api/v1/sites/{id}',
      '/api/v1/sites/{id}/backups',
      '/api/v1/tenant/stats',
      '/api/v1/webhooks',
      '/api/v1/webhooks/{id}',
    ]);
    expect(doc.paths['/api/v1/sites'].post.security).toEqual([{ bearerAuth: [] }]);
    expect(Object.keys(doc.paths['/api/v1/admin/projections/{name}/rebuild'].post.responses)).toContain('202');
    expect(doc.paths['/api/v1/sites'].post.requestBody.content['application/json'].schema.required).toEqual([
      'domain',
      'siteType',
    ]);
  });

  it('serves the UI at /docs', async () => {
    const response = await h.app.inject({ method: 'GET', url: '/docs' });
    expect([200, 302]).toContain(response.statusCode);
    const page =
      response.statusCode === 302
        ? await h.app.inject({ method: 'GET', url: response.headers.location as string })
        : response;
    expect(page.body).toContain('swagger');
  });
});

describe('health, readiness and metrics', () => {
  it('/healthz and /readyz answer without a token', async () => {
    expect((await h.app.inject({ method: 'GET', url: '/healthz' })).json()).toEqual({ status: 'ok' });
    const ready = await h.app.inject({ method: 'GET', url: '/readyz' });
    expect(ready.statusCode).toBe(200);
    expect(ready.json()).toEqual({ status: 'ready', checks: { nats: true } });
  });

  it('/readyz is 503 once NATS is closed', async () => {
    const { logger } = captureLogger();
    const nc = await connectNats({ servers: NATS_URL, name: 'gateway-readyz-test' }, logger);
    const app = buildApp({
      config: {
        jwtSecret: SECRET,
        requestTimeoutMs: 500,
        bodyLimitBytes: 1024,
        rateLimit: { max: 10, windowMs: 1000 },
      },
      nc,
      jsm: await jetstreamManager(nc),
      space: h.space,
      idempotency: {
        begin: () => Promise.reject(new Error('unused')),
        complete: async () => {},
        release: async () => {},
      },
      logger,
      registry: createMetricsRegistry('gateway', { defaultMetrics: false }),
    });
    try {
      expect((await app.inject({ method: 'GET', url: '/readyz' })).statusCode).toBe(200);
      await nc.drain();
      const response = await app.inject({ method: 'GET', url: '/readyz' });
      expect(response.statusCode).toBe(503);
      expect(response.json()).toEqual({ status: 'not_ready', checks: { nats: false } });
      const call = await app.inject({ method: 'GET', url: '/api/v1/sites', headers: await bearer('t_ops') });
      expect(call.statusCode).toBe(503);
      expect(call.json().error.code).toBe('SERVICE_UNAVAILABLE');
    } finally {
      await app.close();
    }
  });

  it('/metrics has the request duration histogram by route pattern', async () => {
    await h.app.inject({
      method: 'GET',
      url: '/api/v1/sites/00000000-0000-4000-8000-000000000000',
      headers: await bearer('t_ops'),
    });
    const response = await h.app.inject({ method: 'GET', url: '/metrics' });
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toContain('text/plain');
    expect(response.body).toMatch(
      /chom_http_request_duration_seconds_count\{[^}]*method="GET"[^}]*route="\/api\/v1\/sites\/:id"[^}]*status="404"[^}]*\} 1/,
    );
  });
});

describe('upstream failures', () => {
  it('503 SERVICE_UNAVAILABLE when no service answers, without details', async () => {
    const app = h.extraApp({}, { services: `${h.space.services}-nobody` });
    const response = await app.inject({ method: 'GET', url: '/api/v1/audit-logs', headers: await bearer('t_ops') });
    expect(response.statusCode).toBe(503);
    const { error } = response.json();
    expect(error.code).toBe('SERVICE_UNAVAILABLE');
    expect(error.message).not.toMatch(/svc|nobody|responders/);
    expect(error.issues).toBeUndefined();
  });

  it('504 TIMEOUT when the service does not answer in time', async () => {
    const app = h.extraApp({ requestTimeoutMs: 200 });
    const hold = gate();
    h.stubs.holds.set('hang.example.com', hold.wait);
    try {
      const response = await app.inject({
        method: 'POST',
        url: '/api/v1/sites',
        headers: await bearer('t_ops'),
        payload: { domain: 'hang.example.com', siteType: 'html' },
      });
      expect(response.statusCode).toBe(504);
      expect(response.json().error.code).toBe('TIMEOUT');
    } finally {
      hold.open();
    }
  });
});

describe('rate limit', () => {
  it('429 RATE_LIMITED per tenant, other tenants unaffected', async () => {
    const app = h.extraApp({ rateLimit: { max: 2, windowMs: 60_000 } });
    const limited = await bearer('t_busy');
    const statuses: number[] = [];
    for (let i = 0; i < 3; i++)
      statuses.push((await app.inject({ method: 'GET', url: '/api/v1/sites', headers: limited })).statusCode);
    expect(statuses).toEqual([200, 200, 429]);
    const refused = await app.inject({ method: 'GET', url: '/api/v1/sites', headers: limited });
    expect(refused.json().error.code).toBe('RATE_LIMITED');
    expect(refused.headers['retry-after']).toBeDefined();
    expect(
      (await app.inject({ method: 'GET', url: '/api/v1/sites', headers: await bearer('t_quiet') })).statusCode,
    ).toBe(200);
  });
});

describe('logs', () => {
  it('never carry the Authorization header or the token', async () => {
    const secretToken = await token('t_logs');
    await h.app.inject({ method: 'GET', url: '/api/v1/sites', headers: { authorization: `Bearer ${secretToken}` } });
    await h.app.inject({ method: 'GET', url: '/api/v1/nothing', headers: { authorization: `Bearer ${secretToken}` } });
    const text = JSON.stringify(h.logs);
    expect(h.logs.some((l) => l.requestId && l.tenantId === 't_logs')).toBe(true);
    expect(text).not.toContain(secretToken);
    expect(text.toLowerCase()).not.toContain('"authorization"');
  });
});
