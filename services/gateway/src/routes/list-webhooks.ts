import { NotificationOps, WebhookList } from '@chom/contracts';
import { bearer, errorResponses } from './schemas.js';
import type { GatewayInstance, RouteDeps } from './types.js';

export function listWebhooksRoute(app: GatewayInstance, deps: RouteDeps): void {
  app.get(
    '/webhooks',
    {
      schema: {
        summary: "The tenant's webhook endpoints (without their secrets)",
        tags: ['webhooks'],
        security: bearer,
        response: { 200: WebhookList, ...errorResponses },
      },
    },
    async (request) => deps.services.call(request, NotificationOps.listWebhooks, {}),
  );
}
