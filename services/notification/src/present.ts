import type { Notification, Webhook } from '@chom/contracts';
import type { NotificationRow, WebhookRow } from './db/schema.js';

export function presentNotification(row: NotificationRow): Notification {
  return {
    id: row.id,
    tenantId: row.tenantId,
    userId: row.userId,
    eventId: row.eventId,
    type: row.eventType,
    title: row.title,
    body: row.body,
    severity: row.severity,
    actionUrl: row.actionUrl,
    data: row.data,
    readAt: row.readAt?.toISOString() ?? null,
    createdAt: row.createdAt.toISOString(),
  };
}

/** Never the secret: it is shown once, by the create endpoint itself. */
export function presentWebhook(row: WebhookRow): Webhook {
  return {
    id: row.id,
    tenantId: row.tenantId,
    url: row.url,
    eventTypes: row.eventTypes && row.eventTypes.length > 0 ? row.eventTypes : null,
    createdAt: row.createdAt.toISOString(),
  };
}
