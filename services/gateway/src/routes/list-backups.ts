import { BackupOps, BackupPage, ListBackupsQuery } from '@chom/contracts';
import { bearer, errorResponses, SiteIdParams } from './schemas.js';
import type { GatewayInstance, RouteDeps } from './types.js';

export function listBackupsRoute(app: GatewayInstance, deps: RouteDeps): void {
  app.get(
    '/sites/:id/backups',
    {
      schema: {
        summary: "List a site's backups, newest first",
        tags: ['backups'],
        security: bearer,
        params: SiteIdParams,
        querystring: ListBackupsQuery,
        response: { 200: BackupPage, ...errorResponses },
      },
    },
    async (request) => deps.services.call(request, BackupOps.list, { siteId: request.params.id, ...request.query }),
  );
}
