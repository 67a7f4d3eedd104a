import { uuidv7, type AnyEvent } from '@chom/contracts';
import type { HandlerContext } from '@chom/messaging';
import { emailAddress } from '../delivery/email.js';
import { insertDeliveries, insertNotification, webhooksFor, type NewDelivery } from '../db/queries.js';
import type { NotificationDeps } from '../deps.js';
import { emailText, isNotified, render } from '../templates.js';

export type NotifyOutcome = 'notified' | 'duplicate' | 'ignored';

/**
 * The `notification` listener: renders the event's notification, stores the in-app one and
 * records one delivery per channel (in-app at once as sent; e-mail and each matching webhook
 * pending, for the delivery worker), all in one transaction. The notification is unique per
 * event, so a redelivered event finds it and records nothing more: no second e-mail or webhook.
 * The recipient is the event's actor when it is a user; otherwise (a system event such as the
 * certificate check) every user of the tenant.
 */
export async function notify(
  event: AnyEvent,
  ctx: Pick<HandlerContext, 'streamSequence'>,
  deps: NotificationDeps,
): Promise<NotifyOutcome> {
  if (!isNotified(event)) return 'ignored';
  const rendered = render(event);
  const at = deps.now();
  const userId = event.actor.type === 'user' ? event.actor.id : null;
  const notificationId = uuidv7(at.getTime());

  let pending = false;
  const outcome = await deps.db.transaction(async (tx): Promise<NotifyOutcome> => {
    const inserted = await insertNotification(tx, {
      id: notificationId,
      tenantId: event.tenantId,
      userId,
      eventId: event.id,
      eventType: event.type,
      title: rendered.title,
      body: rendered.body,
      severity: rendered.severity,
      actionUrl: rendered.actionPath,
      data: event.data,
      createdAt: at,
    });
    if (!inserted) return 'duplicate';

    const base = {
      tenantId: event.tenantId,
      eventId: event.id,
      eventType: event.type,
      streamSequence: ctx.streamSequence,
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
        target: notificationId,
        notificationId,
        payload: {},
        status: 'sent',
        attempts: 1,
        sentAt: at,
      },
    ];
    const to = deps.email && emailAddress(deps.email.addressTemplate, { tenantId: event.tenantId, userId });
    if (to) {
      rows.push({
        ...base,
        id: uuidv7(at.getTime()),
        channel: 'email',
        target: to,
        notificationId,
        payload: { to, subject: rendered.title, text: emailText(rendered, deps.appUrl) },
        status: 'pending',
      });
    }
    for (const hook of await webhooksFor(tx, event.tenantId, event.type)) {
      rows.push({
        ...base,
        id: uuidv7(at.getTime()),
        channel: 'webhook',
        target: hook.id,
        webhookId: hook.id,
        notificationId,
        payload: event as unknown as Record<string, unknown>,
        status: 'pending',
      });
    }
    await insertDeliveries(tx, rows);
    pending = rows.some((row) => row.status === 'pending');
    return 'notified';
  });
  // In-app is delivered already: the worker has work only when a channel is left pending.
  if (outcome === 'notified' && pending) deps.wake();
  return outcome;
}
