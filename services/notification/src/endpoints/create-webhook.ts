import { NotificationOps, uuidv7 } from '@chom/contracts';
import { endpoint, type Endpoint } from '@chom/messaging';
import { insertWebhook } from '../db/queries.js';
import type { NotificationDeps } from '../deps.js';
import { presentWebhook } from '../present.js';
import { generateSecret, sealSecret } from '../secrets.js';

type WebhookDeps = Pick<NotificationDeps, 'db' | 'now' | 'secretKey'>;

/** The secret is made here and answered once; only its sealed form is stored. */
export function createWebhookEndpoint(deps: WebhookDeps): Endpoint {
  return endpoint(NotificationOps.createWebhook, async ({ ctx, url, eventTypes }) => {
    const at = deps.now();
    const secret = generateSecret();
    const row = await insertWebhook(deps.db, {
      id: uuidv7(at.getTime()),
      tenantId: ctx.tenantId,
      url,
      eventTypes: eventTypes && eventTypes.length > 0 ? [...new Set(eventTypes)] : null,
      secret: sealSecret(secret, deps.secretKey),
      createdAt: at,
    });
    return { ...presentWebhook(row), secret };
  });
}
