import { uuidv7, type AnyEvent } from '@chom/contracts';
import { emailAddress } from '../delivery/email.js';
import {
  insertNotificationsWithDeliveries,
  webhooksOfTenants,
  type NewDelivery,
  type NewNotification,
} from '../db/queries.js';
import type { WebhookRow } from '../db/schema.js';
import type { NotificationDeps } from '../deps.js';
import { emailText, isNotified, render, type Rendered } from '../templates.js';

export type NotifyOutcome = 'notified' | 'duplicate' | 'ignored';

/** One delivery of the listener: the event and its stream sequence. */
export interface NotifyItem {
  event: AnyEvent;
  ctx: { streamSequence: number };
}

interface Planned {
  event: AnyEvent;
  streamSequence: number;
  rendered: Rendered;
  notification: NewNotification;
}

/**
 * The `notification` listener, for a batch of events in one statement: renders each event's
 * notification, stores the in-app ones and records one delivery per channel (in-app at once
 * as sent; e-mail and each matching webhook pending, for the delivery worker). A notification
 * is unique per event, so a redelivered event finds it and records nothing more: no second
 * e-mail or webhook. The recipient is the event's actor when it is a user; otherwise (a system
 * event such as the certificate check) every user of the tenant.
 */
export async function notify(items: readonly NotifyItem[], deps: NotificationDeps): Promise<NotifyOutcome[]> {
  const at = deps.now();
  const planned = items.flatMap(({ event, ctx }): Planned[] => {
    if (!isNotified(event)) return [];
    const rendered = render(event);
    const notification: NewNotification = {
      id: uuidv7(at.getTime()),
      tenantId: event.tenantId,
      userId: event.actor.type === 'user' ? event.actor.id : null,
      eventId: event.id,
      eventType: event.type,
      title: rendered.title,
      body: rendered.body,
      severity: rendered.severity,
      actionUrl: rendered.actionPath,
      data: event.data,
      createdAt: at,
    };
    return [{ event, streamSequence: ctx.streamSequence, rendered, notification }];
  });
  if (planned.length === 0) return items.map(() => 'ignored');

  // Two statements, no transaction: the tenants' webhooks, then the notifications with the
  // deliveries of those that are new (one statement, so a crash leaves both or neither).
  const hooks = await webhooksOfTenants(deps.db, [...new Set(planned.map((p) => p.event.tenantId))]);
  const rows = planned.flatMap((p) => deliveriesOf(p, hooks, at, deps));
  const inserted = await insertNotificationsWithDeliveries(
    deps.db,
    planned.map((p) => p.notification),
    rows,
  );
  const pending = rows.some((row) => row.status === 'pending' && inserted.has(row.eventId));
  // In-app is delivered already: the worker has work only when a channel is left pending.
  if (pending) deps.wake();
  return items.map(({ event }) => (!isNotified(event) ? 'ignored' : inserted.has(event.id) ? 'notified' : 'duplicate'));
}

/** One notification's deliveries: in-app (sent), e-mail when configured, and the tenant's matching webhooks. */
function deliveriesOf(p: Planned, hooks: readonly WebhookRow[], at: Date, deps: NotificationDeps): NewDelivery[] {
  const { event, notification, rendered } = p;
  const base = {
    tenantId: event.tenantId,
    eventId: event.id,
    eventType: event.type,
    streamSequence: p.streamSequence,
    notificationId: notification.id,
    maxAttempts: deps.maxAttempts,
    createdAt: at,
    updatedAt: at,
    nextAttemptAt: at,
  };
  const rows: NewDelivery[] = [
    {
      ...base,
      id: uuidv7(at.getTime()),
      channel: 'in_app',
      target: notification.id,
      payload: {},
      status: 'sent',
      attempts: 1,
      sentAt: at,
    },
  ];
  const to =
    deps.email &&
    emailAddress(deps.email.addressTemplate, { tenantId: event.tenantId, userId: notification.userId ?? null });
  if (to) {
    const payload = { to, subject: rendered.title, text: emailText(rendered, deps.appUrl) };
    rows.push({ ...base, id: uuidv7(at.getTime()), channel: 'email', target: to, payload, status: 'pending' });
  }
  for (const hook of hooks) {
    if (hook.tenantId !== event.tenantId) continue;
    if (hook.eventTypes && hook.eventTypes.length > 0 && !hook.eventTypes.includes(event.type)) continue;
    rows.push({
      ...base,
      id: uuidv7(at.getTime()),
      channel: 'webhook',
      target: hook.id,
      webhookId: hook.id,
      payload: event as unknown as Record<string, unknown>,
      status: 'pending',
    });
  }
  return rows;
}
