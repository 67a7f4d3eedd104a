import { AuditOps, AuditPage, AuditQuery } from '@chom/contracts';
import { bearer, errorResponses } from './schemas.js';
import type { GatewayInstance, RouteDeps } from './types.js';

export function listAuditLogsRoute(app: GatewayInstance, deps: RouteDeps): void {
  app.get(
    '/audit-logs',
    {
      schema: {
        summary: "Query the tenant's audit log",
        tags: ['audit'],
        security: bearer,
        querystring: AuditQuery,
        response: { 200: AuditPage, ...errorResponses },
      },
    },
    async (request) => deps.services.call(request, AuditOps.query, { query: request.query }),
  );
}
