import { textArray, withoutLoneSurrogates } from '@chom/db';
import { and, desc, eq, isNull, or, sql, type SQL } from 'drizzle-orm';
import type { RequestContext } from '@chom/contracts';
import type { DbExecutor } from '@chom/db';
import type { NotificationCursor } from '../cursor.js';
import { notifications, webhooks, type deliveries, type NotificationRow, type WebhookRow } from './schema.js';

/** `database.db` or the `tx` of `db.transaction(...)`. */
export type Db = DbExecutor;

export type NewNotification = typeof notifications.$inferInsert;
/** A delivery as the listener records it; its error, attempt log and lease start empty. */
export type NewDelivery = Omit<typeof deliveries.$inferInsert, 'lastError' | 'attemptLog' | 'leaseUntil'>;

// The batch writes below pass their rows as one JSON parameter: the same statement text for
// every batch size (one prepared statement), and no per-row query building.

/**
 * Stores notifications and their deliveries in one statement (atomic without a transaction,
 * one round trip), skipping events already notified: the deliveries of such an event are not
 * recorded again, so a redelivered event sends no second e-mail or webhook. A delivery
 * already recorded (same event, channel and target) is skipped too. Returns the event ids
 * that were new.
 */
export async function insertNotificationsWithDeliveries(
  db: Db,
  notificationRows: readonly NewNotification[],
  deliveryRows: readonly NewDelivery[],
): Promise<Set<string>> {
  if (notificationRows.length === 0) return new Set();
  const inserted = await db.execute<{ event_id: string }>(sql`
    with fresh as (${notificationsInsert(notificationRows)} returning event_id),
    recorded as (${deliveriesInsert(deliveryRows, sql`where v.event_id in (select event_id from fresh)`)})
    select event_id::text as event_id from fresh`);
  return new Set(inserted.map((row) => row.event_id));
}

function notificationsInsert(rows: readonly NewNotification[]): SQL {
  const json = JSON.stringify(
    rows.map((n) => ({
      id: n.id,
      tenant_id: n.tenantId,
      user_id: n.userId && withoutLoneSurrogates(n.userId),
      event_id: n.eventId,
      event_type: n.eventType,
      title: n.title,
      body: n.body,
      severity: n.severity,
      action_url: n.actionUrl,
      data: n.data,
      read_at: n.readAt,
      created_at: n.createdAt,
    })),
  );
  return sql`
    insert into notifications (id, tenant_id, user_id, event_id, event_type, title, body, severity, action_url, data,
      read_at, created_at)
    select v.id, v.tenant_id, v.user_id, v.event_id, v.event_type, v.title, v.body, v.severity, v.action_url, v.data,
      v.read_at, coalesce(v.created_at, now())
    from json_to_recordset(${json}::json) as v(id uuid, tenant_id text, user_id text, event_id uuid, event_type text,
      title text, body text, severity text, action_url text, data jsonb, read_at timestamptz, created_at timestamptz)
    on conflict (event_id) do nothing`;
}

function deliveriesInsert(rows: readonly NewDelivery[], where: SQL): SQL {
  const json = JSON.stringify(
    rows.map((d) => ({
      id: d.id,
      tenant_id: d.tenantId,
      event_id: d.eventId,
      event_type: d.eventType,
      stream_sequence: d.streamSequence,
      notification_id: d.notificationId,
      channel: d.channel,
      target: d.target,
      webhook_id: d.webhookId,
      payload: d.payload,
      status: d.status,
      attempts: d.attempts,
      max_attempts: d.maxAttempts,
      next_attempt_at: d.nextAttemptAt,
      sent_at: d.sentAt,
      created_at: d.createdAt,
      updated_at: d.updatedAt,
    })),
  );
  return sql`
    insert into deliveries (id, tenant_id, event_id, event_type, stream_sequence, notification_id, channel, target,
      webhook_id, payload, status, attempts, max_attempts, next_attempt_at, sent_at, created_at, updated_at)
    select v.id, v.tenant_id, v.event_id, v.event_type, v.stream_sequence, v.notification_id, v.channel, v.target,
      v.webhook_id, v.payload, v.status, coalesce(v.attempts, 0), v.max_attempts, coalesce(v.next_attempt_at, now()),
      v.sent_at, coalesce(v.created_at, now()), coalesce(v.updated_at, now())
    from json_to_recordset(${json}::json) as v(id uuid, tenant_id text, event_id uuid, event_type text,
      stream_sequence bigint, notification_id uuid, channel text, target text, webhook_id uuid, payload jsonb,
      status text, attempts int, max_attempts int, next_attempt_at timestamptz, sent_at timestamptz,
      created_at timestamptz, updated_at timestamptz)
    ${where}
    on conflict do nothing`;
}

/** Live webhooks of these tenants (each with its event-type filter: none means every type). */
export async function webhooksOfTenants(db: Db, tenantIds: readonly string[]): Promise<WebhookRow[]> {
  if (tenantIds.length === 0) return [];
  return db
    .select()
    .from(webhooks)
    .where(and(sql`${webhooks.tenantId} = any(${textArray(tenantIds)})`, isNull(webhooks.deletedAt)));
}

export interface Recipient {
  tenantId: string;
  userId: string;
}

/** The caller, from the request context only: their tenant, and their user id. */
export const recipientOf = (ctx: RequestContext): Recipient => ({ tenantId: ctx.tenantId, userId: ctx.actor.id });

/** The caller's notifications: addressed to them, or to their whole tenant. */
const visibleTo = (r: Recipient): SQL =>
  and(eq(notifications.tenantId, r.tenantId), or(eq(notifications.userId, r.userId), isNull(notifications.userId)))!;

export async function listNotifications(
  db: Db,
  recipient: Recipient,
  query: { unread?: boolean | undefined; after?: NotificationCursor | undefined; limit: number },
): Promise<NotificationRow[]> {
  return db
    .select()
    .from(notifications)
    .where(
      and(
        visibleTo(recipient),
        query.unread === true ? isNull(notifications.readAt) : undefined,
        query.unread === false ? sql`${notifications.readAt} IS NOT NULL` : undefined,
        query.after &&
          sql`(${notifications.createdAt}, ${notifications.id}) < (${query.after.createdAt.toISOString()}::timestamptz, ${query.after.id}::uuid)`,
      ),
    )
    .orderBy(desc(notifications.createdAt), desc(notifications.id))
    .limit(query.limit);
}

/** Marks one notification read (keeps the first read time); `undefined` when the caller cannot see it. */
export async function markRead(
  db: Db,
  recipient: Recipient,
  id: string,
  at: Date,
): Promise<NotificationRow | undefined> {
  const [row] = await db
    .update(notifications)
    .set({ readAt: sql`COALESCE(${notifications.readAt}, ${at.toISOString()}::timestamptz)` })
    .where(and(eq(notifications.id, id), visibleTo(recipient)))
    .returning();
  return row;
}

export async function markAllRead(db: Db, recipient: Recipient, at: Date): Promise<number> {
  const rows = await db
    .update(notifications)
    .set({ readAt: at })
    .where(and(visibleTo(recipient), isNull(notifications.readAt)))
    .returning({ id: notifications.id });
  return rows.length;
}

export async function insertWebhook(db: Db, row: typeof webhooks.$inferInsert): Promise<WebhookRow> {
  const [created] = await db.insert(webhooks).values(row).returning();
  if (!created) throw new Error('webhook insert returned no row');
  return created;
}

export async function listWebhooks(db: Db, tenantId: string): Promise<WebhookRow[]> {
  return db
    .select()
    .from(webhooks)
    .where(and(eq(webhooks.tenantId, tenantId), isNull(webhooks.deletedAt)))
    .orderBy(desc(webhooks.createdAt), desc(webhooks.id));
}

/** Soft delete: its past deliveries keep their webhook; pending ones are cancelled when claimed. */
export async function deleteWebhook(db: Db, tenantId: string, id: string, at: Date): Promise<boolean> {
  const rows = await db
    .update(webhooks)
    .set({ deletedAt: at })
    .where(and(eq(webhooks.id, id), eq(webhooks.tenantId, tenantId), isNull(webhooks.deletedAt)))
    .returning({ id: webhooks.id });
  return rows.length > 0;
}

export async function findWebhook(db: Db, id: string): Promise<WebhookRow | undefined> {
  const [row] = await db.select().from(webhooks).where(eq(webhooks.id, id));
  return row;
}
