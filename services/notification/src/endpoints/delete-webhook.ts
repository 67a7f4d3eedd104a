import { AppError, NotificationOps } from '@chom/contracts';
import { endpoint, type Endpoint } from '@chom/messaging';
import { deleteWebhook } from '../db/queries.js';
import type { NotificationDeps } from '../deps.js';

export function deleteWebhookEndpoint(deps: Pick<NotificationDeps, 'db' | 'now'>): Endpoint {
  return endpoint(NotificationOps.deleteWebhook, async ({ ctx, webhookId }) => {
    if (!(await deleteWebhook(deps.db, ctx.tenantId, webhookId, deps.now()))) {
      throw new AppError('NOT_FOUND', `webhook ${webhookId} not found`);
    }
    return { deleted: true as const };
  });
}
