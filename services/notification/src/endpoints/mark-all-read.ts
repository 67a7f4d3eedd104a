import { NotificationOps } from '@chom/contracts';
import { endpoint, type Endpoint } from '@chom/messaging';
import { markAllRead, recipientOf } from '../db/queries.js';
import type { NotificationDeps } from '../deps.js';

export function markAllReadEndpoint(deps: Pick<NotificationDeps, 'db' | 'now'>): Endpoint {
  return endpoint(NotificationOps.markAllRead, async ({ ctx }) => ({
    updated: await markAllRead(deps.db, recipientOf(ctx), deps.now()),
  }));
}
