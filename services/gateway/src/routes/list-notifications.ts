import { ListNotificationsQuery, NotificationOps, NotificationPage } from '@chom/contracts';
import { bearer, errorResponses } from './schemas.js';
import type { GatewayInstance, RouteDeps } from './types.js';

export function listNotificationsRoute(app: GatewayInstance, deps: RouteDeps): void {
  app.get(
    '/notifications',
    {
      schema: {
        summary: "The caller's notifications (theirs and their tenant's), newest first",
        tags: ['notifications'],
        security: bearer,
        querystring: ListNotificationsQuery,
        response: { 200: NotificationPage, ...errorResponses },
      },
    },
    async (request) => deps.services.call(request, NotificationOps.list, request.query),
  );
}
