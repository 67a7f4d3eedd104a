import { randomUUID } from 'node:crypto';
import { and, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { failureOps, NotificationOps } from '@chom/contracts';
import { processingFailures } from '@chom/db';
import { deliveries, webhooks } from '../src/db/schema.js';
import { verifySignature } from '../src/secrets.js';
import { backupFailed, provisioned, requestContext } from './fixtures.js';
import { startHarness, type NotificationHarness } from './harness.js';
import { startHttpReceiver, startSmtpReceiver, type HttpReceiver, type SmtpReceiver } from './receivers.js';

let h: NotificationHarness;
let smtp: SmtpReceiver;
let http: HttpReceiver;

beforeAll(async () => {
  smtp = await startSmtpReceiver();
  http = await startHttpReceiver();
  h = await startHarness('delivery', { smtpUrl: smtp.url });
});

afterAll(async () => {
  await h?.stop();
  await smtp?.close();
  await http?.close();
});

const deliveriesOf = (eventId: string) =>
  h.database.db.select().from(deliveries).where(eq(deliveries.eventId, eventId)).orderBy(deliveries.channel);

describe('delivery channels', () => {
  it('sends the e-mail and a signed webhook, retries a 500 endpoint 3 times, and sends nothing twice', async () => {
    const tenant = 't_deliver';
    const path = `/ok-${randomUUID()}`;
    const failPath = `/fail-${randomUUID()}`;
    const ok = await h.call(NotificationOps.createWebhook, { ctx: requestContext(tenant), url: http.url(path) });
    const bad = await h.call(NotificationOps.createWebhook, { ctx: requestContext(tenant), url: http.url(failPath) });
    expect(ok.secret).toMatch(/^whsec_/);

    const event = provisioned(tenant, 'u_mail');
    await h.publish(event);

    // E-mail: the real SMTP server got "Your site is ready!" once.
    await expect.poll(() => smtp.mails.filter((m) => m.eventId === event.id).length, { timeout: 10_000 }).toBe(1);
    const mail = smtp.mails.find((m) => m.eventId === event.id)!;
    expect(mail.to).toEqual(['u_mail@example.test']);
    expect(mail.subject).toBe('Your site is ready!');
    expect(mail.raw).toContain(`https://panel.chom.test/sites/${event.data.siteId}`);

    // Webhook: one POST of the event, signature valid over timestamp + "." + body.
    await expect.poll(() => http.on(path).length, { timeout: 10_000 }).toBe(1);
    const request = http.on(path)[0]!;
    const timestamp = String(request.headers['x-chom-timestamp']);
    expect(Math.abs(Number(timestamp) - Date.now() / 1000)).toBeLessThan(60);
    expect(verifySignature(ok.secret, timestamp, request.body, String(request.headers['x-chom-signature']))).toBe(true);
    expect(verifySignature(bad.secret, timestamp, request.body, String(request.headers['x-chom-signature']))).toBe(
      false,
    );
    expect(JSON.parse(request.body)).toEqual(event);
    expect(request.headers['x-chom-event-id']).toBe(event.id);

    // The 500 endpoint: exactly 3 tries, spaced by the backoff (60 ms, then 120 ms), then failed.
    await expect
      .poll(async () => (await deliveriesOf(event.id)).find((d) => d.webhookId === bad.id)?.status, {
        timeout: 10_000,
      })
      .toBe('failed');
    const tries = http.on(failPath);
    expect(tries).toHaveLength(3);
    expect(tries[1]!.at - tries[0]!.at).toBeGreaterThanOrEqual(55);
    expect(tries[2]!.at - tries[1]!.at).toBeGreaterThanOrEqual(115);

    const rows = await deliveriesOf(event.id);
    const summary = rows.map((d) => [
      d.channel,
      d.target === bad.id ? 'bad' : d.target === ok.id ? 'ok' : '-',
      d.status,
      d.attempts,
    ]);
    expect(summary.sort()).toEqual(
      [
        ['email', '-', 'sent', 1],
        ['in_app', '-', 'sent', 1],
        ['webhook', 'bad', 'failed', 3],
        ['webhook', 'ok', 'sent', 1],
      ].sort(),
    );
    const failed = rows.find((d) => d.webhookId === bad.id)!;
    expect(failed.lastError).toBe('endpoint answered HTTP 500');
    expect(failed.attemptLog).toHaveLength(3);

    // ... and listed with the other failures.
    const [failure] = await h.database.db
      .select()
      .from(processingFailures)
      .where(eq(processingFailures.consumer, `notification.webhook.${bad.id}`));
    expect(failure).toMatchObject({
      eventId: event.id,
      tenantId: tenant,
      status: 'failed',
      errorCode: 'DELIVERY_FAILED',
    });
    expect(failure?.attempts).toHaveLength(3);

    // A redelivered event (another message id, so the stream keeps it) sends nothing more.
    await h.publish(event, randomUUID());
    const marker = provisioned(tenant, 'u_mail');
    await h.publish(marker);
    await expect.poll(() => smtp.mails.filter((m) => m.eventId === marker.id).length, { timeout: 10_000 }).toBe(1);
    await expect.poll(() => http.on(path).length, { timeout: 10_000 }).toBe(2);
    expect(smtp.mails.filter((m) => m.eventId === event.id)).toHaveLength(1);
    expect(http.on(path).filter((r) => r.headers['x-chom-event-id'] === event.id)).toHaveLength(1);
    expect(await deliveriesOf(event.id)).toHaveLength(4);

    // The secret is stored sealed and never logged.
    const [stored] = await h.database.db.select().from(webhooks).where(eq(webhooks.id, ok.id));
    expect(stored?.secret).toMatch(/^v1:/);
    expect(stored?.secret).not.toContain(ok.secret);
    expect(JSON.stringify(h.lines)).not.toContain(ok.secret);
    expect((await h.call(NotificationOps.listWebhooks, { ctx: requestContext(tenant) })).items[0]).not.toHaveProperty(
      'secret',
    );
  });

  it('keeps the in-app notification when e-mail is down, and fails only the e-mail', async () => {
    const tenant = 't_maildown';
    smtp.refuse.add('u_down@example.test');
    const event = provisioned(tenant, 'u_down');
    await h.publish(event);
    await expect
      .poll(async () => (await deliveriesOf(event.id)).find((d) => d.channel === 'email')?.status, { timeout: 10_000 })
      .toBe('failed');
    const rows = await deliveriesOf(event.id);
    expect(rows.map((d) => [d.channel, d.status, d.attempts])).toEqual([
      ['email', 'failed', 3],
      ['in_app', 'sent', 1],
    ]);
    const page = await h.call(NotificationOps.list, { ctx: requestContext(tenant, 'u_down') });
    expect(page.items.map((n) => [n.eventId, n.title])).toEqual([[event.id, 'Your site is ready!']]);

    // The failed e-mail is a failure like any other: retried once the server takes it again, it is sent.
    const [failure] = await h.database.db
      .select()
      .from(processingFailures)
      .where(and(eq(processingFailures.eventId, event.id), eq(processingFailures.consumer, 'notification.email')));
    expect(failure?.status).toBe('failed');
    const ops = failureOps('notification');
    expect((await h.call(ops.retry, { id: failure?.id as string })).outcome).toBe('failed');
    smtp.refuse.delete('u_down@example.test');
    const [again] = await h.database.db
      .select()
      .from(processingFailures)
      .where(and(eq(processingFailures.retryOf, failure?.id as string)));
    expect(await h.call(ops.retry, { id: again?.id as string })).toMatchObject({ outcome: 'resolved' });
    expect(smtp.mails.filter((m) => m.to.includes('u_down@example.test'))).toHaveLength(1);
    expect((await deliveriesOf(event.id)).find((d) => d.channel === 'email')).toMatchObject({
      status: 'sent',
      attempts: 5,
    });
    await expect(h.call(ops.retry, { id: again?.id as string })).rejects.toMatchObject({ code: 'CONFLICT' });
  });

  it('delivers to a webhook only the event types it asked for', async () => {
    const tenant = 't_filter';
    const path = `/filtered-${randomUUID()}`;
    await h.call(NotificationOps.createWebhook, {
      ctx: requestContext(tenant),
      url: http.url(path),
      eventTypes: ['backup.failed'],
    });
    const skipped = provisioned(tenant);
    const wanted = backupFailed(tenant);
    await h.publish(skipped);
    await h.publish(wanted);
    await expect.poll(() => http.on(path).length, { timeout: 10_000 }).toBe(1);
    expect(http.on(path)[0]?.headers['x-chom-event-type']).toBe('backup.failed');
    const hooks = await h.database.db
      .select()
      .from(deliveries)
      .where(and(eq(deliveries.eventId, skipped.id), eq(deliveries.channel, 'webhook')));
    expect(hooks).toEqual([]);
  });
});
