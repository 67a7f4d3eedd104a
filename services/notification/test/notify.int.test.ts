import { randomUUID } from 'node:crypto';
import { uuidv7, type AnyEvent } from '@chom/contracts';
import { sampleEvent } from '@chom/contracts/testing';
import { createDatabase, runMigrations, type Database } from '@chom/db';
import { createTestDatabase, type TestDatabase } from '@chom/db/testing';
import { captureLogger } from '@chom/telemetry/testing';
import { asc, eq, inArray } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MIGRATIONS_FOLDER } from '../src/db/migrations.js';
import { deliveries, notifications, webhooks } from '../src/db/schema.js';
import type { NotificationDeps } from '../src/deps.js';
import { notify } from '../src/handlers/notify.js';
import { backupFailed, provisioned, sslExpiring } from './fixtures.js';

// The listener's batch writes against a real, migrated database (no NATS: the handler is
// called directly; the delivery test goes through the whole service).
describe('notify in Postgres', () => {
  let testDb: TestDatabase;
  let database: Database;
  const { logger } = captureLogger('notification');
  const at = new Date('2025-06-01T10:00:00.123Z');
  let wakes = 0;
  const deps = (overrides: Partial<NotificationDeps> = {}): NotificationDeps => ({
    db: database.db,
    logger,
    now: () => at,
    appUrl: 'https://panel.chom.test',
    maxAttempts: 5,
    email: { addressTemplate: '{userId}@example.test' },
    secretKey: undefined,
    wake: () => (wakes += 1),
    ...overrides,
  });
  const items = (events: AnyEvent[], firstSequence: number) =>
    events.map((event, i) => ({ event, ctx: { streamSequence: firstSequence + i } }));

  beforeAll(async () => {
    testDb = await createTestDatabase('notification_notify');
    database = createDatabase({ url: testDb.url, max: 4, applicationName: 'notification-test' });
    await runMigrations(database, MIGRATIONS_FOLDER);
  });
  afterAll(async () => {
    await database?.close();
    await testDb?.drop();
  });

  async function addWebhook(tenantId: string, eventTypes: string[] | null, deletedAt: Date | null = null) {
    const id = uuidv7();
    await database.db
      .insert(webhooks)
      .values({ id, tenantId, url: 'https://hooks.example.test', eventTypes, secret: 's', deletedAt });
    return id;
  }

  it('writes a batch: one notification per notified event, its deliveries, the matching live webhooks', async () => {
    const hookA = await addWebhook('t_a', null);
    await addWebhook('t_a', null, at);
    const hookB = await addWebhook('t_b', ['backup.failed']);
    await addWebhook('t_other', null);
    const events = [
      provisioned('t_a', 'u_1'),
      backupFailed('t_b', 'u_2'),
      sslExpiring('t_b', 10),
      provisioned('t_b', 'u_3'),
      sampleEvent({ tenantId: 't_a' }),
    ];
    const [e1, e2, e3, e4] = events as [AnyEvent, AnyEvent, AnyEvent, AnyEvent, AnyEvent];
    wakes = 0;

    expect(await notify(items(events, 10), deps())).toEqual([
      'notified',
      'notified',
      'notified',
      'notified',
      'ignored',
    ]);
    expect(wakes).toBe(1);

    const ids = events.map((e) => e.id);
    const stored = await database.db.select().from(notifications).where(inArray(notifications.eventId, ids));
    expect(stored).toHaveLength(4);
    const byEvent = new Map(stored.map((n) => [n.eventId, n]));
    expect(byEvent.get(e1.id)).toEqual({
      id: expect.any(String),
      tenantId: 't_a',
      userId: 'u_1',
      eventId: e1.id,
      eventType: 'site.provisioned',
      title: 'Your site is ready!',
      body: expect.stringContaining('is live'),
      severity: 'success',
      actionUrl: `/sites/${(e1.data as { siteId: string }).siteId}`,
      data: e1.data,
      readAt: null,
      createdAt: at,
    });
    expect(byEvent.get(e3.id)).toMatchObject({ tenantId: 't_b', userId: null, eventType: 'site.ssl_expiring' });

    const rows = await database.db
      .select()
      .from(deliveries)
      .where(inArray(deliveries.eventId, ids))
      .orderBy(asc(deliveries.streamSequence), asc(deliveries.channel));
    const label = (target: string) => (target === hookA ? 'hookA' : target === hookB ? 'hookB' : target);
    expect(rows.map((d) => [d.streamSequence, d.channel, label(d.target), d.status, d.attempts, d.sentAt])).toEqual([
      [10, 'email', 'u_1@example.test', 'pending', 0, null],
      [10, 'in_app', byEvent.get(e1.id)?.id, 'sent', 1, at],
      [10, 'webhook', 'hookA', 'pending', 0, null],
      [11, 'email', 'u_2@example.test', 'pending', 0, null],
      [11, 'in_app', byEvent.get(e2.id)?.id, 'sent', 1, at],
      [11, 'webhook', 'hookB', 'pending', 0, null],
      [12, 'in_app', byEvent.get(e3.id)?.id, 'sent', 1, at],
      [13, 'email', 'u_3@example.test', 'pending', 0, null],
      [13, 'in_app', byEvent.get(e4.id)?.id, 'sent', 1, at],
    ]);
    for (const d of rows) {
      const event = events.find((e) => e.id === d.eventId)!;
      expect(d).toMatchObject({
        tenantId: event.tenantId,
        eventType: event.type,
        notificationId: byEvent.get(event.id)?.id,
        webhookId: d.channel === 'webhook' ? d.target : null,
        maxAttempts: 5,
        lastError: null,
        attemptLog: [],
        nextAttemptAt: at,
        leaseUntil: null,
        createdAt: at,
        updatedAt: at,
      });
    }
    const [webhook] = rows.filter((d) => d.channel === 'webhook');
    expect(webhook?.payload).toEqual(e1);
    expect(rows.find((d) => d.channel === 'email')?.payload).toMatchObject({
      to: 'u_1@example.test',
      subject: 'Your site is ready!',
    });
  });

  it('records nothing more for events already notified, in a batch of another size', async () => {
    const first = provisioned('t_again', 'u_1');
    await notify(items([first], 1), deps());
    const count = async () =>
      (await database.db.select().from(deliveries).where(eq(deliveries.tenantId, 't_again'))).length;
    expect(await count()).toBe(2);
    const next = backupFailed('t_again', 'u_2');
    expect(await notify(items([first, next, first], 2), deps())).toEqual(['duplicate', 'notified', 'duplicate']);
    expect(await count()).toBe(4);
  });

  // Without e-mail: the address would carry it into the delivery's jsonb payload, which Postgres refuses.
  it('stores a user id holding a lone surrogate as U+FFFD', async () => {
    const event = { ...provisioned('t_surrogate'), actor: { id: `u_\uD800${randomUUID()}`, type: 'user' as const } };
    expect(await notify(items([event], 1), deps({ email: undefined }))).toEqual(['notified']);
    const [stored] = await database.db.select().from(notifications).where(eq(notifications.eventId, event.id));
    expect(stored?.userId).toBe(event.actor.id.replace('\uD800', '\uFFFD'));
  });
});
