import { AppError, PROJECTIONS, projectionOps, ProjectionStatus, type ProjectionName } from '@chom/contracts';
import { z } from 'zod';
import { adminOnly } from './admin-failures-support.js';
import { bearer, errorResponses } from './schemas.js';
import type { GatewayInstance, RouteDeps } from './types.js';

const Response = z.strictObject({
  items: z.array(ProjectionStatus),
  /** Projections whose service did not answer. */
  unavailable: z.array(z.string()),
});

export function listProjectionsRoute(app: GatewayInstance, deps: RouteDeps): void {
  app.get(
    '/admin/projections',
    {
      config: adminOnly,
      schema: {
        summary: 'Every rebuildable projection: its last rebuild and its live listener (platform admin)',
        tags: ['admin'],
        security: bearer,
        response: { 200: Response, ...errorResponses },
      },
    },
    async (request) => {
      const names = Object.keys(PROJECTIONS) as ProjectionName[];
      const settled = await Promise.allSettled(
        names.map((projection) =>
          deps.services.operate(request, projectionOps(PROJECTIONS[projection]).status, { projection }),
        ),
      );
      const items: ProjectionStatus[] = [];
      const unavailable: string[] = [];
      settled.forEach((s, i) => {
        if (s.status === 'fulfilled') items.push(s.value);
        else if (s.reason instanceof AppError && ['SERVICE_UNAVAILABLE', 'TIMEOUT'].includes(s.reason.code))
          unavailable.push(names[i] ?? '');
        else throw s.reason;
      });
      return { items, unavailable };
    },
  );
}
