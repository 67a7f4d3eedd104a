import { AppError, NotificationOps } from '@chom/contracts';
import { endpoint, type Endpoint } from '@chom/messaging';
import { markRead, recipientOf } from '../db/queries.js';
import type { NotificationDeps } from '../deps.js';
import { presentNotification } from '../present.js';

export function markReadEndpoint(deps: Pick<NotificationDeps, 'db' | 'now'>): Endpoint {
  return endpoint(NotificationOps.markRead, async ({ ctx, notificationId }) => {
    const row = await markRead(deps.db, recipientOf(ctx), notificationId, deps.now());
    if (!row) throw new AppError('NOT_FOUND', `notification ${notificationId} not found`);
    return presentNotification(row);
  });
}
