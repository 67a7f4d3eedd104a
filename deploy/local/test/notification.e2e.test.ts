import { randomBytes } from 'node:crypto';
import { connect } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifySignature } from '../../../services/notification/src/secrets.js';
import {
  startHttpReceiver,
  startSmtpReceiver,
  type HttpReceiver,
  type SmtpReceiver,
} from '../../../services/notification/test/receivers.js';
import { api, mapLimit, NATS_URL, startTestStack } from './harness.js';

const SITES = 24;

// The notification service as a real process, with a real SMTP server and a real webhook
// receiver in this test: killed with SIGKILL while e-mails and webhooks are being sent.
describe('notification service end to end', () => {
  let env: Awaited<ReturnType<typeof startTestStack>>;
  let smtp: SmtpReceiver;
  let http: HttpReceiver;

  beforeAll(async () => {
    smtp = await startSmtpReceiver();
    http = await startHttpReceiver();
    env = await startTestStack('notify', {
      site: { PROVISION_DURATION_MS: '5', VPS_POOL: `vps-a:${SITES * 2}` },
      notification: {
        SMTP_URL: smtp.url,
        EMAIL_ADDRESS_TEMPLATE: '{userId}@example.test',
        WEBHOOK_SECRET_KEY: randomBytes(32).toString('hex'),
        WEBHOOK_TIMEOUT_MS: '1000',
        DELIVERY_LEASE_MS: '2500',
        DELIVERY_BACKOFF_MS: '100',
        DELIVERY_POLL_MS: '50',
        NOTIFICATION_ACK_WAIT_MS: '2000',
        NOTIFICATION_BACKOFF_MS: '200',
      },
    });
  });
  afterAll(async () => {
    smtp?.release();
    http?.release();
    await env?.cleanup();
    await smtp?.close();
    await http?.close();
  });

  it('sends no second e-mail or webhook after a kill mid-batch and a restart', async () => {
    const call = api(env.stack, await env.stack.token({ tenant: 't_kill', user: 'u_kill' }));
    const hook = await call('POST', '/api/v1/webhooks', { url: http.url('/kill') });
    expect(hook.status).toBe(201);
    const secret = String(hook.body?.secret);

    smtp.holdAfter(5);
    http.holdAfter(5);
    const statuses = await mapLimit(
      Array.from({ length: SITES }, (_, i) => i),
      6,
      async (i) => (await call('POST', '/api/v1/sites', { domain: `n${i}.kill.example.com`, siteType: 'html' })).status,
    );
    expect(statuses.filter((s) => s === 201)).toHaveLength(SITES);

    // Mid-batch: five of each accepted and recorded as sent, more waiting on the receivers.
    const db = env.sql('notification');
    const sent = async (channel: string) =>
      Number(
        (await db`SELECT count(*)::int AS n FROM deliveries WHERE channel = ${channel} AND status = 'sent'`)[0]?.n,
      );
    try {
      await expect
        .poll(async () => [await sent('email'), smtp.held() > 0, await sent('webhook'), http.held() > 0], {
          timeout: 20_000,
          interval: 50,
        })
        .toEqual([5, true, 5, true]);
      expect((await env.stack.kill('notification'))?.signal).toBe('SIGKILL');
      smtp.release();
      http.release();
      await env.stack.startService('notification');

      await expect
        .poll(() => [new Set(smtp.mails.map((m) => m.eventId)).size, http.delivered('/kill').length], {
          timeout: 60_000,
          interval: 250,
        })
        .toEqual([SITES, SITES]);
      const mailEvents = smtp.mails.map((m) => m.eventId);
      const hookEvents = http.delivered('/kill').map((r) => String(r.headers['x-chom-event-id']));
      expect(mailEvents).toHaveLength(new Set(mailEvents).size);
      expect(hookEvents).toHaveLength(new Set(hookEvents).size);
      expect(smtp.mails.every((m) => m.subject === 'Your site is ready!' && m.to[0] === 'u_kill@example.test')).toBe(
        true,
      );
      for (const r of http.delivered('/kill')) {
        const timestamp = String(r.headers['x-chom-timestamp']);
        expect(verifySignature(secret, timestamp, r.body, String(r.headers['x-chom-signature']))).toBe(true);
      }
      // The sends in flight at the kill were claimed again once their lease ran out, and sent once.
      // A row is marked sent just after the receiver accepted it: poll for the last marks.
      const deliveryState = async () =>
        (
          await db`
          SELECT count(*) FILTER (WHERE attempts > 1)::int AS resent, count(*) FILTER (WHERE status <> 'sent')::int AS open
          FROM deliveries WHERE channel IN ('email', 'webhook')`
        )[0];
      await expect.poll(async () => (await deliveryState())?.open, { timeout: 5_000 }).toBe(0);
      expect((await deliveryState())?.resent).toBeGreaterThan(0);
      const [rows] = await db`SELECT count(*)::int AS n, count(DISTINCT event_id)::int AS events FROM notifications`;
      expect(rows).toEqual({ n: SITES, events: SITES });
    } finally {
      await db.end();
    }

    const page = await call('GET', '/api/v1/notifications?limit=100');
    expect((page.body?.items as unknown[]).length).toBe(SITES);
    // The recipient is the event's actor: another user of the tenant, or another tenant, sees none of them.
    const colleague = api(env.stack, await env.stack.token({ tenant: 't_kill', user: 'u_other' }));
    expect((await colleague('GET', '/api/v1/notifications')).body?.items).toEqual([]);
    const stranger = api(env.stack, await env.stack.token({ tenant: 't_stranger', user: 'u_kill' }));
    expect((await stranger('GET', '/api/v1/notifications')).body?.items).toEqual([]);
    expect((await stranger('GET', '/api/v1/webhooks')).body?.items).toEqual([]);
  });

  it('turns a certificate expiring in 10 days into a notification and an audit entry', async () => {
    const call = api(env.stack, await env.stack.token({ tenant: 't_ssl', user: 'u_ssl' }));
    const created = await call('POST', '/api/v1/sites', { domain: 'cert.ssl.example.com', siteType: 'html' });
    const siteId = String(created.body?.id);
    await expect
      .poll(async () => (await call('GET', `/api/v1/sites/${siteId}`)).body?.status, { timeout: 5000, interval: 50 })
      .toBe('active');

    const site = env.sql('site');
    try {
      await site`UPDATE sites SET ssl_expires_at = now() + interval '10 days' WHERE id = ${siteId}`;
    } finally {
      await site.end();
    }
    const nc = await connect({ servers: NATS_URL });
    try {
      const reply = await nc.request(`${env.config.space.services}.site.checkSslExpiry`, '{}', { timeout: 5000 });
      expect(reply.json()).toEqual({ ok: true, data: { emitted: 1 } });
    } finally {
      await nc.close();
    }

    await expect
      .poll(
        async () => {
          const page = await call('GET', '/api/v1/notifications?unread=true');
          const items = (page.body?.items ?? []) as { type: string; data: Record<string, unknown> }[];
          return items.filter((n) => n.type === 'site.ssl_expiring').map((n) => n.data.daysUntilExpiration);
        },
        { timeout: 10_000, interval: 100 },
      )
      .toEqual([10]);
    await expect
      .poll(
        async () => {
          const page = await call('GET', `/api/v1/audit-logs?resourceId=${siteId}&action=site.ssl_expiring`);
          return ((page.body?.items ?? []) as { metadata: { data: { daysUntilExpiration: number } } }[]).map(
            (e) => e.metadata.data.daysUntilExpiration,
          );
        },
        { timeout: 10_000, interval: 100 },
      )
      .toEqual([10]);

    const readAll = await call('POST', '/api/v1/notifications/read-all');
    expect(readAll.body?.updated).toBeGreaterThanOrEqual(1);
    expect((await call('GET', '/api/v1/notifications?unread=true')).body?.items).toEqual([]);
  });
});
