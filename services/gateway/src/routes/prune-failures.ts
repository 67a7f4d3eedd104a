import { IsoDateTime, LISTENER_SERVICES } from '@chom/contracts';
import { z } from 'zod';
import { adminOnly, fanOut, ListenerService } from './admin-failures-support.js';
import { bearer, errorResponses } from './schemas.js';
import type { GatewayInstance, RouteDeps } from './types.js';

export function pruneFailuresRoute(app: GatewayInstance, deps: RouteDeps): void {
  app.post(
    '/admin/failures/prune',
    {
      config: adminOnly,
      schema: {
        summary: 'Delete resolved failures older than a date (platform admin)',
        tags: ['admin'],
        security: bearer,
        body: z.strictObject({ before: IsoDateTime, service: ListenerService.optional() }),
        response: {
          200: z.strictObject({
            deleted: z.number().int(),
            byService: z.record(z.string(), z.number().int()),
            unavailable: z.array(z.string()),
          }),
          ...errorResponses,
        },
      },
    },
    async (request) => {
      const { before, service } = request.body;
      const services = service ? [service] : [...LISTENER_SERVICES];
      const { results, unavailable } = await fanOut(services, (ops) =>
        deps.services.operate(request, ops.prune, { before }),
      );
      return {
        deleted: results.reduce((sum, r) => sum + r.value.deleted, 0),
        byService: Object.fromEntries(results.map((r) => [r.service, r.value.deleted])),
        unavailable,
      };
    },
  );
}
