import { CreatedWebhook, CreateWebhookInput, NotificationOps } from '@chom/contracts';
import { bearer, errorResponses } from './schemas.js';
import type { GatewayInstance, RouteDeps } from './types.js';

export function createWebhookRoute(app: GatewayInstance, deps: RouteDeps): void {
  app.post(
    '/webhooks',
    {
      config: { access: 'write' },
      schema: {
        summary: 'Register a webhook endpoint (the signing secret is in this answer only)',
        tags: ['webhooks'],
        security: bearer,
        body: CreateWebhookInput,
        response: { 201: CreatedWebhook, ...errorResponses },
      },
    },
    async (request, reply) => {
      const created = await deps.services.call(request, NotificationOps.createWebhook, request.body);
      return reply.code(201).header('cache-control', 'no-store').send(created);
    },
  );
}
