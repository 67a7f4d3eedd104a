import { FailureView } from '@chom/contracts';
import { adminOnly, FailureIdParams, findFailure } from './admin-failures-support.js';
import { bearer, errorResponses } from './schemas.js';
import type { GatewayInstance, RouteDeps } from './types.js';

export function getFailureRoute(app: GatewayInstance, deps: RouteDeps): void {
  app.get(
    '/admin/failures/:id',
    {
      config: adminOnly,
      schema: {
        summary: 'Show one processing failure (platform admin)',
        tags: ['admin'],
        security: bearer,
        params: FailureIdParams,
        response: { 200: FailureView, ...errorResponses },
      },
    },
    async (request) => findFailure(deps, request, request.params.id),
  );
}
