import { NotificationOps, ReadAllResult } from '@chom/contracts';
import { bearer, errorResponses } from './schemas.js';
import type { GatewayInstance, RouteDeps } from './types.js';

export function markAllNotificationsReadRoute(app: GatewayInstance, deps: RouteDeps): void {
  app.post(
    '/notifications/read-all',
    {
      schema: {
        summary: "Mark all of the caller's notifications read",
        tags: ['notifications'],
        security: bearer,
        response: { 200: ReadAllResult, ...errorResponses },
      },
    },
    async (request) => deps.services.call(request, NotificationOps.markAllRead, {}),
  );
}
