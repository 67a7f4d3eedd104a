import { eventFilter, type SubjectSpace } from '@chom/contracts';
import type { BatchHandler, Endpoint, ListenerSpec } from '@chom/messaging';
import type { ListenerSettings } from '@chom/config';
import type { NotificationDeps } from './deps.js';
import { createWebhookEndpoint } from './endpoints/create-webhook.js';
import { deleteWebhookEndpoint } from './endpoints/delete-webhook.js';
import { listNotificationsEndpoint } from './endpoints/list-notifications.js';
import { listWebhooksEndpoint } from './endpoints/list-webhooks.js';
import { markAllReadEndpoint } from './endpoints/mark-all-read.js';
import { markReadEndpoint } from './endpoints/mark-read.js';
import { notify } from './handlers/notify.js';
import { NOTIFIED_TYPES } from './templates.js';

export const SERVICE_NAME = 'notification';
/** The durable consumer of the notification listener. */
export const NOTIFICATION_LISTENER = 'notification';

/**
 * Every event of the space (nats-server 2.9 takes one filter per consumer); the runner acks
 * the types this listener does not notify without running the handler.
 */
export function notificationListenerSpec(
  space: Pick<SubjectSpace, 'events'>,
  settings: ListenerSettings,
): ListenerSpec {
  return { name: NOTIFICATION_LISTENER, filterSubject: eventFilter(space), ...settings };
}

export const acceptsNotified = (type: string): boolean => NOTIFIED_TYPES.has(type);

export function buildEndpoints(deps: NotificationDeps): Endpoint[] {
  return [
    listNotificationsEndpoint(deps),
    markReadEndpoint(deps),
    markAllReadEndpoint(deps),
    createWebhookEndpoint(deps),
    listWebhooksEndpoint(deps),
    deleteWebhookEndpoint(deps),
  ];
}

export function buildHandler(deps: NotificationDeps): BatchHandler {
  return async (items) => {
    const outcomes = await notify(items, deps);
    deps.logger.debug(
      { events: items.length, notified: outcomes.filter((o) => o === 'notified').length },
      'notification listener handled a batch',
    );
  };
}
