import { Backup, BackupOps, CreateBackupInput } from '@chom/contracts';
import { principalOf } from '../auth/index.js';
import { withIdempotency } from '../idempotency/run.js';
import { bearer, errorResponses, IdempotencyHeaders, SiteIdParams } from './schemas.js';
import type { GatewayInstance, RouteDeps } from './types.js';

export function createBackupRoute(app: GatewayInstance, deps: RouteDeps): void {
  app.post(
    '/sites/:id/backups',
    {
      config: { access: 'write' },
      schema: {
        summary: 'Request a backup of an active site (answers with the pending backup; it runs in the background)',
        tags: ['backups'],
        security: bearer,
        params: SiteIdParams,
        headers: IdempotencyHeaders,
        body: CreateBackupInput.optional(),
        response: { 202: Backup, ...errorResponses },
      },
    },
    async (request, reply) => {
      const scope = { tenantId: principalOf(request).tenantId, key: request.headers['idempotency-key'] };
      const outcome = await withIdempotency(deps.idempotency, request, reply, scope, async () => ({
        status: 202,
        body: await deps.services.call(request, BackupOps.create, {
          siteId: request.params.id,
          ...(request.body ?? {}),
        }),
      }));
      return reply.code(outcome.status).send(outcome.body as Backup);
    },
  );
}
