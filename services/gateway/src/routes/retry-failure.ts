import { failureOps, RetryOutcome } from '@chom/contracts';
import { adminOnly, FailureIdParams, findFailure } from './admin-failures-support.js';
import { bearer, errorResponses } from './schemas.js';
import type { GatewayInstance, RouteDeps } from './types.js';

export function retryFailureRoute(app: GatewayInstance, deps: RouteDeps): void {
  app.post(
    '/admin/failures/:id/retry',
    {
      config: adminOnly,
      schema: {
        summary: "Re-run the failed listener's handler for this failure's event (platform admin)",
        tags: ['admin'],
        security: bearer,
        params: FailureIdParams,
        response: { 200: RetryOutcome, ...errorResponses },
      },
    },
    async (request) => {
      const failure = await findFailure(deps, request, request.params.id);
      return deps.services.operate(request, failureOps(failure.service).retry, { id: failure.id });
    },
  );
}
