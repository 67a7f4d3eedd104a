import { AppError, BackupOps } from '@chom/contracts';
import { endpoint } from '@chom/messaging';
import { findBackup, toBackup } from '../db/queries.js';
import type { BackupDeps } from '../deps.js';

export function getBackupEndpoint(deps: BackupDeps) {
  return endpoint(BackupOps.get, async ({ ctx, backupId }) => {
    const row = await findBackup(deps.db, ctx.tenantId, backupId);
    if (!row) throw new AppError('BACKUP_NOT_FOUND', `backup ${backupId} not found`);
    return toBackup(row);
  });
}
