import { Site, SiteOps } from '@chom/contracts';
import { bearer, errorResponses, SiteIdParams } from './schemas.js';
import type { GatewayInstance, RouteDeps } from './types.js';

export function deleteSiteRoute(app: GatewayInstance, deps: RouteDeps): void {
  app.delete(
    '/sites/:id',
    {
      config: { access: 'write' },
      schema: {
        summary: 'Delete a site (answers with the site, now being deleted)',
        tags: ['sites'],
        security: bearer,
        params: SiteIdParams,
        response: { 200: Site, ...errorResponses },
      },
    },
    async (request) => deps.services.call(request, SiteOps.delete, { siteId: request.params.id }),
  );
}
