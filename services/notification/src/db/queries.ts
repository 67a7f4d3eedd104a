import { and, desc, eq, inArray, isNull, or, sql, type SQL } from 'drizzle-orm';
import type { RequestContext } from '@chom/contracts';
import type { DbExecutor } from '@chom/db';
import type { NotificationCursor } from '../cursor.js';
import { deliveries, notifications, webhooks, type NotificationRow, type WebhookRow } from './schema.js';

/** `database.db` or the `tx` of `db.transaction(...)`. */
export type Db = DbExecutor;

export type NewNotification = typeof notifications.$inferInsert;
export type NewDelivery = typeof deliveries.$inferInsert;

/** `false` when the event already has its notification (a redelivery). */
/** Stores notifications, skipping events already notified; returns the event ids that were new. */
export async function insertNotifications(db: Db, rows: readonly NewNotification[]): Promise<Set<string>> {
  if (rows.length === 0) return new Set();
  const inserted = await db
    .insert(notifications)
    .values([...rows])
    .onConflictDoNothing({ target: notifications.eventId })
    .returning({ eventId: notifications.eventId });
  return new Set(inserted.map((row) => row.eventId));
}

export async function insertDeliveries(db: Db, rows: NewDelivery[]): Promise<void> {
  if (rows.length === 0) return;
  await db.insert(deliveries).values(rows).onConflictDoNothing();
}

/** Live webhooks of these tenants (each with its event-type filter: none means every type). */
export async function webhooksOfTenants(db: Db, tenantIds: readonly string[]): Promise<WebhookRow[]> {
  if (tenantIds.length === 0) return [];
  return db
    .select()
    .from(webhooks)
    .where(and(inArray(webhooks.tenantId, [...tenantIds]), isNull(webhooks.deletedAt)));
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
