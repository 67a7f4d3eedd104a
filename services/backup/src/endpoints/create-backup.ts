import { AppError, BackupCreated, BackupOps, createEvent, uuidv7 } from '@chom/contracts';
import { enqueueEvents } from '@chom/db';
import { endpoint } from '@chom/messaging';
import { insertBackup, toBackup } from '../db/queries.js';
import { findModelSite } from '../db/site-model.js';
import { SOURCE, traceHeaders, type BackupDeps } from '../deps.js';

/**
 * Records a `pending` backup and its `backup.created` in one transaction, for an active site of
 * the caller's tenant as the read model knows it: an unknown, another tenant's or a deleted
 * site is SITE_NOT_FOUND, one not (yet, or no longer) active SITE_NOT_ACTIVE.
 */
export function createBackupEndpoint(deps: BackupDeps) {
  return endpoint(BackupOps.create, async ({ ctx, siteId, backupType }) => {
    const at = deps.now();
    return deps.db.transaction(async (tx) => {
      const site = await findModelSite(tx, ctx.tenantId, siteId);
      if (!site || site.status === 'deleted') throw new AppError('SITE_NOT_FOUND', `site ${siteId} not found`);
      if (site.status !== 'active') {
        throw new AppError('SITE_NOT_ACTIVE', `site ${siteId} is ${site.status}; only an active site can be backed up`);
      }
      const row = await insertBackup(tx, { id: uuidv7(at.getTime()), tenantId: ctx.tenantId, siteId, backupType, at });
      const event = createEvent(
        BackupCreated,
        { tenantId: ctx.tenantId, actor: ctx.actor, source: SOURCE, correlationId: ctx.correlationId },
        { backupId: row.id, siteId, backupType },
        at,
      );
      await enqueueEvents(tx, deps.space, [event], traceHeaders());
      return toBackup(row);
    });
  });
}
