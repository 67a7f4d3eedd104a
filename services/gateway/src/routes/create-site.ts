import { CreateSiteInput, Site } from '@chom/contracts';
import { SiteOps } from '@chom/contracts';
import { principalOf } from '../auth/index.js';
import { withIdempotency } from '../idempotency/run.js';
import { bearer, errorResponses, IdempotencyHeaders } from './schemas.js';
import type { GatewayInstance, RouteDeps } from './types.js';

export function createSiteRoute(app: GatewayInstance, deps: RouteDeps): void {
  app.post(
    '/sites',
    {
      config: { access: 'write' },
      schema: {
        summary: 'Create a site',
        tags: ['sites'],
        security: bearer,
        headers: IdempotencyHeaders,
        body: CreateSiteInput,
        response: { 201: Site, ...errorResponses },
      },
    },
    async (request, reply) => {
      const scope = { tenantId: principalOf(request).tenantId, key: request.headers['idempotency-key'] };
      const outcome = await withIdempotency(deps.idempotency, request, reply, scope, async () => ({
        status: 201,
        body: await deps.services.call(request, SiteOps.create, request.body),
      }));
      return reply.code(outcome.status).send(outcome.body as Site);
    },
  );
}
