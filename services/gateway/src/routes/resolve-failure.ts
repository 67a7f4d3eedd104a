import { failureOps, FailureView } from '@chom/contracts';
import { z } from 'zod';
import { adminOnly, FailureIdParams, findFailure } from './admin-failures-support.js';
import { bearer, errorResponses } from './schemas.js';
import type { GatewayInstance, RouteDeps } from './types.js';

export function resolveFailureRoute(app: GatewayInstance, deps: RouteDeps): void {
  app.post(
    '/admin/failures/:id/resolve',
    {
      config: adminOnly,
      schema: {
        summary: 'Close a failure by hand, with a note (platform admin)',
        tags: ['admin'],
        security: bearer,
        params: FailureIdParams,
        body: z.strictObject({ note: z.string().min(1).max(2000) }),
        response: { 200: FailureView, ...errorResponses },
      },
    },
    async (request) => {
      const failure = await findFailure(deps, request, request.params.id);
      return deps.services.operate(request, failureOps(failure.service).resolve, {
        id: failure.id,
        note: request.body.note,
      });
    },
  );
}
