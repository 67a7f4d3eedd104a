import { NotificationOps } from '@chom/contracts';
import { z } from 'zod';
import { bearer, errorResponses } from './schemas.js';
import type { GatewayInstance, RouteDeps } from './types.js';

export function deleteWebhookRoute(app: GatewayInstance, deps: RouteDeps): void {
  app.delete(
    '/webhooks/:id',
    {
      config: { access: 'write' },
      schema: {
        summary: 'Remove a webhook endpoint (its pending deliveries are cancelled)',
        tags: ['webhooks'],
        security: bearer,
        params: z.strictObject({ id: z.uuid() }),
        response: { 204: z.null(), ...errorResponses },
      },
    },
    async (request, reply) => {
      await deps.services.call(request, NotificationOps.deleteWebhook, { webhookId: request.params.id });
      return reply.code(204).send(null);
    },
  );
}
