import { projectionOps, ProjectionStatus } from '@chom/contracts';
import { adminOnly } from './admin-failures-support.js';
import { projectionOwner, ProjectionParams } from './admin-projections-support.js';
import { bearer, errorResponses } from './schemas.js';
import type { GatewayInstance, RouteDeps } from './types.js';

export function getProjectionRoute(app: GatewayInstance, deps: RouteDeps): void {
  app.get(
    '/admin/projections/:name',
    {
      config: adminOnly,
      schema: {
        summary: "One projection's last (or running) rebuild and its live listener (platform admin)",
        tags: ['admin'],
        security: bearer,
        params: ProjectionParams,
        response: { 200: ProjectionStatus, ...errorResponses },
      },
    },
    async (request) => {
      const { projection, service } = projectionOwner(request.params.name);
      return deps.services.operate(request, projectionOps(service).status, { projection });
    },
  );
}
