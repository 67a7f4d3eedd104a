import { NotificationOps } from '@chom/contracts';
import { endpoint, type Endpoint } from '@chom/messaging';
import { listWebhooks } from '../db/queries.js';
import type { NotificationDeps } from '../deps.js';
import { presentWebhook } from '../present.js';

export function listWebhooksEndpoint(deps: Pick<NotificationDeps, 'db'>): Endpoint {
  return endpoint(NotificationOps.listWebhooks, async ({ ctx }) => ({
    items: (await listWebhooks(deps.db, ctx.tenantId)).map(presentWebhook),
  }));
}
