import { AppError, BACKUP_CHUNK_MAX_BYTES, BackupOps } from '@chom/contracts';
import { endpoint } from '@chom/messaging';
import { findBackup, type BackupRow } from '../db/queries.js';
import type { BackupDeps } from '../deps.js';

/** Bytes per chunk the gateway is told to ask for: well under NATS' 1 MB payload once base64'd. */
export const DOWNLOAD_CHUNK_BYTES = 256 * 1024;

type Downloadable = BackupRow & { storageLocation: string; sizeBytes: number; checksumSha256: string };

/** The tenant's completed backup, or the typed error the caller gets instead. */
async function downloadable(deps: BackupDeps, tenantId: string, backupId: string): Promise<Downloadable> {
  const row = await findBackup(deps.db, tenantId, backupId);
  if (!row) throw new AppError('BACKUP_NOT_FOUND', `backup ${backupId} not found`);
  if (row.status !== 'completed' || !row.storageLocation || row.sizeBytes === null || !row.checksumSha256) {
    throw new AppError('BACKUP_NOT_READY', `backup ${backupId} is ${row.status}; it has no archive to download`);
  }
  return row as Downloadable;
}

/** Step one of a download: what the archive is; the gateway then asks for it chunk by chunk. */
export function downloadBackupEndpoint(deps: BackupDeps) {
  return endpoint(BackupOps.download, async ({ ctx, backupId }) => {
    const row = await downloadable(deps, ctx.tenantId, backupId);
    return {
      backupId,
      fileName: `backup-${row.siteId}-${row.backupType}-${backupId}.tar.gz`,
      sizeBytes: row.sizeBytes,
      checksumSha256: row.checksumSha256,
      chunkBytes: Math.min(DOWNLOAD_CHUNK_BYTES, BACKUP_CHUNK_MAX_BYTES),
    };
  });
}

/** One chunk of a completed backup's archive; each request is checked against the tenant again. */
export function downloadChunkEndpoint(deps: BackupDeps) {
  return endpoint(BackupOps.downloadChunk, async ({ ctx, backupId, offset, length }) => {
    const row = await downloadable(deps, ctx.tenantId, backupId);
    if (offset > row.sizeBytes) {
      throw new AppError('VALIDATION_FAILED', 'offset beyond the end of the archive', {
        issues: [{ path: 'offset', message: `at most ${row.sizeBytes}` }],
      });
    }
    const bytes = await deps.storage.read(row.storageLocation, offset, Math.min(length, row.sizeBytes - offset));
    return { offset, data: bytes.toString('base64') };
  });
}
