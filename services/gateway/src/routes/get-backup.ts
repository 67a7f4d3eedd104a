import { Backup, BackupOps } from '@chom/contracts';
import { BackupIdParams, bearer, errorResponses } from './schemas.js';
import type { GatewayInstance, RouteDeps } from './types.js';

export function getBackupRoute(app: GatewayInstance, deps: RouteDeps): void {
  app.get(
    '/backups/:id',
    {
      schema: {
        summary: 'Get one backup',
        tags: ['backups'],
        security: bearer,
        params: BackupIdParams,
        response: { 200: Backup, ...errorResponses },
      },
    },
    async (request) => deps.services.call(request, BackupOps.get, { backupId: request.params.id }),
  );
}
