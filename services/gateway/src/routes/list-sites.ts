import { ListSitesQuery, SiteOps, SitePage } from '@chom/contracts';
import { bearer, errorResponses } from './schemas.js';
import type { GatewayInstance, RouteDeps } from './types.js';

export function listSitesRoute(app: GatewayInstance, deps: RouteDeps): void {
  app.get(
    '/sites',
    {
      schema: {
        summary: "List the tenant's sites",
        tags: ['sites'],
        security: bearer,
        querystring: ListSitesQuery,
        response: { 200: SitePage, ...errorResponses },
      },
    },
    async (request) => deps.services.call(request, SiteOps.list, request.query),
  );
}
