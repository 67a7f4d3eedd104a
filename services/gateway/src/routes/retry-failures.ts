import { BulkRetryResult } from '@chom/contracts';
import { z } from 'zod';
import { adminOnly, fanOut, FailureScope, servicesOf } from './admin-failures-support.js';
import { bearer, errorResponses } from './schemas.js';
import type { GatewayInstance, RouteDeps } from './types.js';

const Body = FailureScope.omit({ status: true }).extend({
  dryRun: z.boolean().default(false),
  limit: z.number().int().min(1).max(1000).default(100),
});

const Response = z.strictObject({
  matched: z.number().int(),
  dryRun: z.boolean(),
  byService: z.record(z.string(), BulkRetryResult),
  unavailable: z.array(z.string()),
});

export function retryFailuresRoute(app: GatewayInstance, deps: RouteDeps): void {
  app.post(
    '/admin/failures/retry',
    {
      config: adminOnly,
      schema: {
        summary: 'Retry the open failures a filter matches; dryRun counts them (platform admin)',
        tags: ['admin'],
        security: bearer,
        body: Body,
        response: { 200: Response, ...errorResponses },
      },
    },
    async (request) => {
      const { dryRun, limit, ...scope } = request.body;
      const { services, filter } = servicesOf(scope);
      const { results, unavailable } = await fanOut(services, (ops) =>
        deps.services.operate(request, ops.retryMany, { filter, limit, dryRun }),
      );
      return {
        matched: results.reduce((sum, r) => sum + r.value.matched, 0),
        dryRun,
        byService: Object.fromEntries(results.map((r) => [r.service, r.value])),
        unavailable,
      };
    },
  );
}
