import { NotificationOps } from '@chom/contracts';
import { endpoint, type Endpoint } from '@chom/messaging';
import { decodeCursor, encodeCursor } from '../cursor.js';
import { listNotifications, recipientOf } from '../db/queries.js';
import type { NotificationDeps } from '../deps.js';
import { presentNotification } from '../present.js';

/** `notification.list`: the caller's notifications (theirs and their tenant's), newest first. */
export function listNotificationsEndpoint(deps: Pick<NotificationDeps, 'db'>): Endpoint {
  return endpoint(NotificationOps.list, async ({ ctx, unread, limit, cursor }) => {
    const rows = await listNotifications(deps.db, recipientOf(ctx), {
      unread,
      after: cursor === undefined ? undefined : decodeCursor(cursor),
      limit: limit + 1,
    });
    const items = rows.slice(0, limit);
    const last = items.at(-1);
    const nextCursor = rows.length > limit && last ? encodeCursor({ createdAt: last.createdAt, id: last.id }) : null;
    return { items: items.map(presentNotification), nextCursor };
  });
}
