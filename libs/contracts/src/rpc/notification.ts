import { z } from 'zod';
import { IsoDateTime } from '../domain.js';
import { EventType } from '../envelope.js';
import { TenantId } from '../ids.js';
import { Cursor, defineOperation, page, PageLimit, RequestContext } from './common.js';

export const NotificationSeverity = z.enum(['info', 'success', 'warning', 'error']);
export type NotificationSeverity = z.infer<typeof NotificationSeverity>;

/** An in-app notification. `userId` null: addressed to every user of the tenant (a system event). */
export const Notification = z.strictObject({
  id: z.uuid(),
  tenantId: TenantId,
  userId: z.string().nullable(),
  eventId: z.uuid(),
  type: z.string(),
  title: z.string(),
  body: z.string(),
  severity: NotificationSeverity,
  actionUrl: z.string().nullable(),
  data: z.record(z.string(), z.unknown()),
  readAt: IsoDateTime.nullable(),
  createdAt: IsoDateTime,
});
export type Notification = z.infer<typeof Notification>;

/** Query strings carry text: `unread=true` / `unread=false`. */
const BooleanQuery = z.union([z.boolean(), z.enum(['true', 'false']).transform((v) => v === 'true')]);

export const ListNotificationsQuery = z.strictObject({
  unread: BooleanQuery.optional(),
  limit: PageLimit,
  cursor: Cursor.optional(),
});
export type ListNotificationsQuery = z.infer<typeof ListNotificationsQuery>;

export const NotificationPage = page(Notification);
export type NotificationPage = z.infer<typeof NotificationPage>;

export const ReadAllResult = z.strictObject({ updated: z.int().nonnegative() });
export type ReadAllResult = z.infer<typeof ReadAllResult>;

/** Only http and https endpoints; no credentials in the URL (they would be shown back in lists). */
export const WebhookUrl = z
  .url({ protocol: /^https?$/ })
  .max(2048)
  .refine((value) => {
    // Runs after a failed URL check too: a value that does not parse is already an issue.
    const url = URL.parse(value);
    return !url || (url.username === '' && url.password === '');
  }, 'a URL without user name or password');

export const CreateWebhookInput = z.strictObject({
  url: WebhookUrl,
  /** Event types delivered to this endpoint; absent or empty: every notified type. */
  eventTypes: z.array(EventType).max(50).optional(),
});
export type CreateWebhookInput = z.infer<typeof CreateWebhookInput>;

export const Webhook = z.strictObject({
  id: z.uuid(),
  tenantId: TenantId,
  url: z.string(),
  eventTypes: z.array(z.string()).nullable(),
  createdAt: IsoDateTime,
});
export type Webhook = z.infer<typeof Webhook>;

/** The only answer that ever carries the signing secret. */
export const CreatedWebhook = Webhook.extend({ secret: z.string() });
export type CreatedWebhook = z.infer<typeof CreatedWebhook>;

export const WebhookList = z.strictObject({ items: z.array(Webhook) });
export type WebhookList = z.infer<typeof WebhookList>;

const Ctx = { ctx: RequestContext };

export const NotificationOps = {
  list: defineOperation('notification', 'list', ListNotificationsQuery.extend(Ctx), NotificationPage),
  markRead: defineOperation(
    'notification',
    'markRead',
    z.strictObject({ ...Ctx, notificationId: z.uuid() }),
    Notification,
  ),
  markAllRead: defineOperation('notification', 'markAllRead', z.strictObject(Ctx), ReadAllResult),
  createWebhook: defineOperation('notification', 'createWebhook', CreateWebhookInput.extend(Ctx), CreatedWebhook),
  listWebhooks: defineOperation('notification', 'listWebhooks', z.strictObject(Ctx), WebhookList),
  deleteWebhook: defineOperation(
    'notification',
    'deleteWebhook',
    z.strictObject({ ...Ctx, webhookId: z.uuid() }),
    z.strictObject({ deleted: z.literal(true) }),
  ),
} as const;
