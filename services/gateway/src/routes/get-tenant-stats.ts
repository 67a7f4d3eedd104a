import { MetricsOps, TenantStats } from '@chom/contracts';
import { bearer, errorResponses } from './schemas.js';
import type { GatewayInstance, RouteDeps } from './types.js';

export function getTenantStatsRoute(app: GatewayInstance, deps: RouteDeps): void {
  app.get(
    '/tenant/stats',
    {
      schema: {
        summary: "The caller's tenant statistics: sites by state, backups, bytes stored",
        tags: ['tenant'],
        security: bearer,
        response: { 200: TenantStats, ...errorResponses },
      },
    },
    async (request) => deps.services.call(request, MetricsOps.tenantStats, {}),
  );
}
