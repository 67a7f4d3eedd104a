import { AppError, BackupOps } from '@chom/contracts';
import { endpoint } from '@chom/messaging';
import { decodeCursor } from '../db/cursor.js';
import { listBackups } from '../db/queries.js';
import { findModelSite } from '../db/site-model.js';
import type { BackupDeps } from '../deps.js';

/** A site's backups; a site the tenant never had is SITE_NOT_FOUND (a deleted one still lists its history). */
export function listBackupsEndpoint(deps: BackupDeps) {
  return endpoint(BackupOps.list, async ({ ctx, siteId, limit, cursor, status }) => {
    if (!(await findModelSite(deps.db, ctx.tenantId, siteId))) {
      throw new AppError('SITE_NOT_FOUND', `site ${siteId} not found`);
    }
    return listBackups(deps.db, ctx.tenantId, siteId, {
      limit,
      status,
      after: cursor === undefined ? undefined : decodeCursor(cursor),
    });
  });
}
