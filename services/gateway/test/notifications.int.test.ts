import { randomUUID } from 'node:crypto';
import { AppError, NotificationOps, type Notification } from '@chom/contracts';
import { endpoint, serveEndpoints, type EndpointServer } from '@chom/messaging';
import { captureLogger } from '@chom/telemetry/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, startHarness, type Harness } from './harness.js';

// A stand-in notification service: records what the gateway asks, answers like the real one.
const calls: { op: string; request: Record<string, unknown> }[] = [];
const notification = (tenantId: string, userId: string): Notification => ({
  id: randomUUID(),
  tenantId,
  userId,
  eventId: randomUUID(),
  type: 'site.provisioned',
  title: 'Your site is ready!',
  body: 'a.example.com is live',
  severity: 'success',
  actionUrl: '/sites/x',
  data: {},
  readAt: null,
  createdAt: new Date().toISOString(),
});
const stubs = [
  endpoint(NotificationOps.list, async (request) => {
    calls.push({ op: 'list', request });
    return { items: [notification(request.ctx.tenantId, request.ctx.actor.id)], nextCursor: null };
  }),
  endpoint(NotificationOps.markRead, async (request) => {
    calls.push({ op: 'markRead', request });
    throw new AppError('NOT_FOUND', 'notification not found');
  }),
  endpoint(NotificationOps.markAllRead, async (request) => {
    calls.push({ op: 'markAllRead', request });
    return { updated: 2 };
  }),
  endpoint(NotificationOps.createWebhook, async (request) => {
    calls.push({ op: 'createWebhook', request });
    const { url, eventTypes } = request;
    return {
      id: randomUUID(),
      tenantId: request.ctx.tenantId,
      url,
      eventTypes: eventTypes ?? null,
      createdAt: new Date().toISOString(),
      secret: 'whsec_x',
    };
  }),
  endpoint(NotificationOps.listWebhooks, async (request) => {
    calls.push({ op: 'listWebhooks', request });
    return { items: [] };
  }),
  endpoint(NotificationOps.deleteWebhook, async (request) => {
    calls.push({ op: 'deleteWebhook', request });
    return { deleted: true as const };
  }),
];

let h: Harness;
let server: EndpointServer;
beforeAll(async () => {
  h = await startHarness();
  server = serveEndpoints(h.nc, h.space, stubs, captureLogger('stub').logger);
  await h.nc.flush();
});
afterAll(async () => {
  await server?.drain();
  await h?.close();
});

describe('notification and webhook routes', () => {
  it('lists the caller’s notifications with the unread filter and cursor passed on', async () => {
    const response = await h.app.inject({
      method: 'GET',
      url: '/api/v1/notifications?unread=true&limit=5&cursor=abc',
      headers: await bearer('t_n'),
    });
    expect(response.statusCode).toBe(200);
    expect(response.json<{ items: Notification[] }>().items[0]).toMatchObject({
      tenantId: 't_n',
      userId: 'user-of-t_n',
    });
    expect(calls.find((c) => c.op === 'list')?.request).toMatchObject({
      unread: true,
      limit: 5,
      cursor: 'abc',
      ctx: { tenantId: 't_n', actor: { id: 'user-of-t_n', type: 'user' } },
    });
  });

  it('marks read (404 for a notification the caller cannot see) and reads all, also as a viewer', async () => {
    const one = await h.app.inject({
      method: 'POST',
      url: `/api/v1/notifications/${randomUUID()}/read`,
      headers: await bearer('t_n', 'viewer'),
    });
    expect(one.statusCode).toBe(404);
    expect(one.json()).toMatchObject({ error: { code: 'NOT_FOUND' } });
    const all = await h.app.inject({
      method: 'POST',
      url: '/api/v1/notifications/read-all',
      headers: await bearer('t_n', 'viewer'),
    });
    expect(all.statusCode).toBe(200);
    expect(all.json()).toEqual({ updated: 2 });
  });

  it('creates (201, secret once), lists and deletes (204) webhooks; viewers may not change them', async () => {
    const created = await h.app.inject({
      method: 'POST',
      url: '/api/v1/webhooks',
      headers: await bearer('t_w'),
      payload: { url: 'https://hooks.example.com/x', eventTypes: ['site.provisioned'] },
    });
    expect(created.statusCode).toBe(201);
    expect(created.headers['cache-control']).toBe('no-store');
    const hook = created.json<{ id: string; secret: string }>();
    expect(hook.secret).toBe('whsec_x');

    const invalid = await h.app.inject({
      method: 'POST',
      url: '/api/v1/webhooks',
      headers: await bearer('t_w'),
      payload: { url: 'ftp://hooks.example.com/x' },
    });
    expect(invalid.statusCode).toBe(400);

    const viewer = await h.app.inject({
      method: 'POST',
      url: '/api/v1/webhooks',
      headers: await bearer('t_w', 'viewer'),
      payload: { url: 'https://hooks.example.com/x' },
    });
    expect(viewer.statusCode).toBe(403);

    const listed = await h.app.inject({ method: 'GET', url: '/api/v1/webhooks', headers: await bearer('t_w') });
    expect(listed.statusCode).toBe(200);
    const deleted = await h.app.inject({
      method: 'DELETE',
      url: `/api/v1/webhooks/${hook.id}`,
      headers: await bearer('t_w'),
    });
    expect(deleted.statusCode).toBe(204);
    expect(calls.find((c) => c.op === 'deleteWebhook')?.request).toMatchObject({
      webhookId: hook.id,
      ctx: { tenantId: 't_w' },
    });
  });
});
