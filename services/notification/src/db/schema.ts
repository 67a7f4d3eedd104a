import { sql } from 'drizzle-orm';
import { bigint, check, index, integer, jsonb, pgTable, text, timestamp, unique, uuid } from 'drizzle-orm/pg-core';

// Shared tables from @chom/db, re-exported so drizzle-kit generates them into this service's migrations.
// Notification publishes nothing, so it has no outbox.
export { processedEvents, processingFailures } from '@chom/db';

const ts = (name: string) => timestamp(name, { withTimezone: true, precision: 3 });

/** In-app notifications: one per event. `user_id` null addresses every user of the tenant. */
export const notifications = pgTable(
  'notifications',
  {
    id: uuid('id').primaryKey(),
    tenantId: text('tenant_id').notNull(),
    userId: text('user_id'),
    eventId: uuid('event_id').notNull(),
    eventType: text('event_type').notNull(),
    title: text('title').notNull(),
    body: text('body').notNull(),
    severity: text('severity', { enum: ['info', 'success', 'warning', 'error'] }).notNull(),
    actionUrl: text('action_url'),
    data: jsonb('data').$type<Record<string, unknown>>().notNull(),
    readAt: ts('read_at'),
    createdAt: ts('created_at').notNull().defaultNow(),
  },
  (t) => [
    unique('notifications_event_id_key').on(t.eventId),
    index('notifications_tenant_user_created_idx').on(t.tenantId, t.userId, t.createdAt.desc(), t.id.desc()),
    check('notifications_severity_check', sql`${t.severity} in ('info', 'success', 'warning', 'error')`),
  ],
);

/** A tenant's webhook endpoints; `secret` is encrypted when WEBHOOK_SECRET_KEY is set. */
export const webhooks = pgTable(
  'webhooks',
  {
    id: uuid('id').primaryKey(),
    tenantId: text('tenant_id').notNull(),
    url: text('url').notNull(),
    eventTypes: text('event_types').array(),
    secret: text('secret').notNull(),
    createdAt: ts('created_at').notNull().defaultNow(),
    deletedAt: ts('deleted_at'),
  },
  (t) => [index('webhooks_tenant_idx').on(t.tenantId, t.createdAt)],
);

export const DELIVERY_STATUSES = ['pending', 'sending', 'sent', 'failed', 'cancelled'] as const;
export type DeliveryStatus = (typeof DELIVERY_STATUSES)[number];
export const CHANNELS = ['in_app', 'email', 'webhook'] as const;
export type Channel = (typeof CHANNELS)[number];

/**
 * One row per event, channel and target (the notification, the address, the webhook): a
 * redelivered event adds none. `sending` rows hold a lease until `lease_until`; one whose
 * lease ran out (its worker died) is claimed again.
 */
export const deliveries = pgTable(
  'deliveries',
  {
    id: uuid('id').primaryKey(),
    tenantId: text('tenant_id').notNull(),
    eventId: uuid('event_id').notNull(),
    eventType: text('event_type').notNull(),
    streamSequence: bigint('stream_sequence', { mode: 'number' }).notNull(),
    notificationId: uuid('notification_id').references(() => notifications.id),
    channel: text('channel', { enum: CHANNELS }).notNull(),
    target: text('target').notNull(),
    webhookId: uuid('webhook_id').references(() => webhooks.id),
    payload: jsonb('payload').$type<Record<string, unknown>>().notNull(),
    status: text('status', { enum: DELIVERY_STATUSES }).notNull(),
    attempts: integer('attempts').notNull().default(0),
    maxAttempts: integer('max_attempts').notNull(),
    lastError: text('last_error'),
    attemptLog: jsonb('attempt_log').$type<{ at: string; error: string }[]>().notNull().default([]),
    nextAttemptAt: ts('next_attempt_at').notNull().defaultNow(),
    leaseUntil: ts('lease_until'),
    sentAt: ts('sent_at'),
    createdAt: ts('created_at').notNull().defaultNow(),
    updatedAt: ts('updated_at').notNull().defaultNow(),
  },
  (t) => [
    unique('deliveries_event_channel_target_key').on(t.eventId, t.channel, t.target),
    index('deliveries_due_idx')
      .on(t.nextAttemptAt)
      .where(sql`${t.status} = 'pending'`),
    index('deliveries_lease_idx')
      .on(t.leaseUntil)
      .where(sql`${t.status} = 'sending'`),
    index('deliveries_tenant_status_idx').on(t.tenantId, t.status, t.createdAt),
    check('deliveries_status_check', sql`${t.status} in ('pending', 'sending', 'sent', 'failed', 'cancelled')`),
    check('deliveries_channel_check', sql`${t.channel} in ('in_app', 'email', 'webhook')`),
  ],
);

export type DeliveryRow = typeof deliveries.$inferSelect;
export type NotificationRow = typeof notifications.$inferSelect;
export type WebhookRow = typeof webhooks.$inferSelect;
