import { projectionOps, ProjectionStatus, ReplayStart } from '@chom/contracts';
import { z } from 'zod';
import { adminOnly } from './admin-failures-support.js';
import { projectionOwner, ProjectionParams } from './admin-projections-support.js';
import { bearer, errorResponses } from './schemas.js';
import type { GatewayInstance, RouteDeps } from './types.js';

const Body = z.strictObject({
  from: ReplayStart.default({ kind: 'start' }).describe(
    '{kind: "start"} empties the projection and replays the whole stream; {kind: "seq", seq} or {kind: "time", time} replays onto it from there',
  ),
  dryRun: z.boolean().default(false).describe('only count the events a rebuild would replay'),
});

export function rebuildProjectionRoute(app: GatewayInstance, deps: RouteDeps): void {
  app.post(
    '/admin/projections/:name/rebuild',
    {
      config: adminOnly,
      schema: {
        summary: 'Rebuild a projection from the event stream while its live listener runs (platform admin)',
        description:
          'Answers 202 with the status once the rebuild is under way (a dry run: with its counts); follow it with GET. 409 while a rebuild of the projection runs.',
        tags: ['admin'],
        security: bearer,
        params: ProjectionParams,
        // Optional: a bare POST rebuilds from the start (fastify hands the schema null for no body).
        body: Body.nullish(),
        response: { 202: ProjectionStatus, ...errorResponses },
      },
    },
    async (request, reply) => {
      const { projection, service } = projectionOwner(request.params.name);
      const { from, dryRun } = request.body ?? Body.parse({});
      const status = await deps.services.operate(request, projectionOps(service).rebuild, {
        projection,
        from,
        dryRun,
      });
      return reply.code(202).send(status);
    },
  );
}
