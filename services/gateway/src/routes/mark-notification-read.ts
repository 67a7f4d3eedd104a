import { Notification, NotificationOps } from '@chom/contracts';
import { z } from 'zod';
import { bearer, errorResponses } from './schemas.js';
import type { GatewayInstance, RouteDeps } from './types.js';

// Reading one's own notifications is not a change to the tenant's resources: viewers may.
export function markNotificationReadRoute(app: GatewayInstance, deps: RouteDeps): void {
  app.post(
    '/notifications/:id/read',
    {
      schema: {
        summary: 'Mark one notification read',
        tags: ['notifications'],
        security: bearer,
        params: z.strictObject({ id: z.uuid() }),
        response: { 200: Notification, ...errorResponses },
      },
    },
    async (request) => deps.services.call(request, NotificationOps.markRead, { notificationId: request.params.id }),
  );
}
