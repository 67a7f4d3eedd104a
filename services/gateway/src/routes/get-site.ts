import { Site, SiteOps } from '@chom/contracts';
import { bearer, errorResponses, SiteIdParams } from './schemas.js';
import type { GatewayInstance, RouteDeps } from './types.js';

export function getSiteRoute(app: GatewayInstance, deps: RouteDeps): void {
  app.get(
    '/sites/:id',
    {
      schema: {
        summary: 'Get one site',
        tags: ['sites'],
        security: bearer,
        params: SiteIdParams,
        response: { 200: Site, ...errorResponses },
      },
    },
    async (request) => deps.services.call(request, SiteOps.get, { siteId: request.params.id }),
  );
}
