import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppError, NotificationOps } from '@chom/contracts';
import { provisioned, requestContext, sslExpiring } from './fixtures.js';
import { startHarness, type NotificationHarness } from './harness.js';

let h: NotificationHarness;

beforeAll(async () => {
  h = await startHarness('endpoints');
});

afterAll(async () => {
  await h?.stop();
});

const list = (tenant: string, user = 'u_1', query: { unread?: boolean; limit?: number; cursor?: string } = {}) =>
  h.call(NotificationOps.list, { ctx: requestContext(tenant, user), ...query });

const codeOf = (promise: Promise<unknown>) =>
  promise.then(
    () => 'ok',
    (error: unknown) => (error instanceof AppError ? error.code : String(error)),
  );

describe('notification endpoints', () => {
  it('renders ssl_expiring for the whole tenant with daysUntilExpiration', async () => {
    const event = sslExpiring('t_ssl', 10);
    await h.publish(event);
    await expect.poll(async () => (await list('t_ssl', 'u_any')).items.length, { timeout: 10_000 }).toBe(1);
    const [n] = (await list('t_ssl', 'u_other')).items;
    expect(n).toMatchObject({
      eventId: event.id,
      type: 'site.ssl_expiring',
      userId: null,
      severity: 'warning',
      title: `SSL certificate for ${event.data.domain} expires in 10 days`,
      actionUrl: `/sites/${event.data.siteId}`,
      data: { daysUntilExpiration: 10 },
      readAt: null,
    });
  });

  it('lists the caller’s notifications newest first with unread filter, cursor pages and read marks', async () => {
    const events = Array.from({ length: 5 }, () => provisioned('t_page', 'u_page'));
    for (const e of events) await h.publish(e);
    await h.publish(provisioned('t_page', 'u_someone_else'));
    await expect.poll(async () => (await list('t_page', 'u_page', { limit: 100 })).items.length).toBe(5);

    const first = await list('t_page', 'u_page', { limit: 2 });
    const second = await list('t_page', 'u_page', { limit: 2, cursor: first.nextCursor! });
    const third = await list('t_page', 'u_page', { limit: 2, cursor: second.nextCursor! });
    expect(third.nextCursor).toBeNull();
    const ids = [...first.items, ...second.items, ...third.items].map((n) => n.id);
    expect(new Set(ids).size).toBe(5);
    expect(ids).toEqual([...ids].sort().reverse());

    const read = await h.call(NotificationOps.markRead, {
      ctx: requestContext('t_page', 'u_page'),
      notificationId: ids[0]!,
    });
    expect(read.readAt).not.toBeNull();
    const again = await h.call(NotificationOps.markRead, {
      ctx: requestContext('t_page', 'u_page'),
      notificationId: ids[0]!,
    });
    expect(again.readAt).toBe(read.readAt);
    expect((await list('t_page', 'u_page', { unread: true })).items.map((n) => n.id)).not.toContain(ids[0]);
    expect((await list('t_page', 'u_page', { unread: false })).items.map((n) => n.id)).toEqual([ids[0]]);

    expect(await h.call(NotificationOps.markAllRead, { ctx: requestContext('t_page', 'u_page') })).toEqual({
      updated: 4,
    });
    expect((await list('t_page', 'u_page', { unread: true })).items).toEqual([]);
    // The other user's notification is untouched.
    expect((await list('t_page', 'u_someone_else', { unread: true })).items).toHaveLength(1);
  });

  it('never shows tenant A’s notifications or webhooks to tenant B', async () => {
    const event = provisioned('t_iso_a', 'u_1');
    await h.publish(event);
    await expect.poll(async () => (await list('t_iso_a')).items.length, { timeout: 10_000 }).toBe(1);
    const [mine] = (await list('t_iso_a')).items;
    const hook = await h.call(NotificationOps.createWebhook, {
      ctx: requestContext('t_iso_a'),
      url: 'https://hooks.example.com/a',
    });

    expect((await list('t_iso_b')).items).toEqual([]);
    expect(
      await codeOf(h.call(NotificationOps.markRead, { ctx: requestContext('t_iso_b'), notificationId: mine!.id })),
    ).toBe('NOT_FOUND');
    expect(await h.call(NotificationOps.markAllRead, { ctx: requestContext('t_iso_b') })).toEqual({ updated: 0 });
    expect((await h.call(NotificationOps.listWebhooks, { ctx: requestContext('t_iso_b') })).items).toEqual([]);
    expect(
      await codeOf(h.call(NotificationOps.deleteWebhook, { ctx: requestContext('t_iso_b'), webhookId: hook.id })),
    ).toBe('NOT_FOUND');
    expect((await list('t_iso_a')).items[0]?.readAt).toBeNull();
    expect(
      (await h.call(NotificationOps.listWebhooks, { ctx: requestContext('t_iso_a') })).items.map((w) => w.id),
    ).toEqual([hook.id]);

    await h.call(NotificationOps.deleteWebhook, { ctx: requestContext('t_iso_a'), webhookId: hook.id });
    expect((await h.call(NotificationOps.listWebhooks, { ctx: requestContext('t_iso_a') })).items).toEqual([]);
  });

  it('accepts only http and https webhook URLs', async () => {
    for (const url of ['ftp://example.com/x', 'javascript:alert(1)', 'not a url', 'https://user:pw@example.com/']) {
      expect(await codeOf(h.call(NotificationOps.createWebhook, { ctx: requestContext('t_url'), url }))).toBe(
        'VALIDATION_FAILED',
      );
    }
  });
});
