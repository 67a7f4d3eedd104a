import { FailureView } from '@chom/contracts';
import { z } from 'zod';
import { adminOnly, fanOut, FailureScope, servicesOf } from './admin-failures-support.js';
import { bearer, errorResponses } from './schemas.js';
import type { GatewayInstance, RouteDeps } from './types.js';

const Query = FailureScope.extend({
  limit: z.coerce.number().int().min(1).max(500).default(50),
});

const Response = z.strictObject({
  items: z.array(FailureView),
  /** Exact number of matching failures, summed over the services that answered. */
  total: z.number().int(),
  byService: z.record(z.string(), z.number().int()),
  unavailable: z.array(z.string()),
});

export function listFailuresRoute(app: GatewayInstance, deps: RouteDeps): void {
  app.get(
    '/admin/failures',
    {
      config: adminOnly,
      schema: {
        summary: 'List processing failures across services (platform admin)',
        tags: ['admin'],
        security: bearer,
        querystring: Query,
        response: { 200: Response, ...errorResponses },
      },
    },
    async (request) => {
      const { limit, ...scope } = request.query;
      const { services, filter } = servicesOf(scope);
      const { results, unavailable } = await fanOut(services, (ops) =>
        deps.services.operate(request, ops.list, { filter, limit, offset: 0 }),
      );
      const items = results
        .flatMap((r) => r.value.items)
        .sort((a, b) => b.createdAt.localeCompare(a.createdAt))
        .slice(0, limit);
      const byService = Object.fromEntries(results.map((r) => [r.service, r.value.total]));
      const total = results.reduce((sum, r) => sum + r.value.total, 0);
      return { items, total, byService, unavailable };
    },
  );
}
