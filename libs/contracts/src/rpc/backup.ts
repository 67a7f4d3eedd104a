import { z } from 'zod';
import { BackupType, IsoDateTime } from '../domain.js';
import { TenantId } from '../ids.js';
import { Cursor, defineOperation, page, PageLimit, RequestContext } from './common.js';

export const BackupStatus = z.enum(['pending', 'running', 'completed', 'failed', 'expired']);
export type BackupStatus = z.infer<typeof BackupStatus>;

/** A backup as the API shows it; where the archive is stored stays inside the backup service. */
export const Backup = z.strictObject({
  id: z.uuid(),
  tenantId: TenantId,
  siteId: z.uuid(),
  backupType: BackupType,
  status: BackupStatus,
  sizeBytes: z.int().nonnegative().nullable(),
  durationSeconds: z.number().nonnegative().nullable(),
  /** Hex sha256 of the archive, once completed. */
  checksumSha256: z
    .string()
    .regex(/^[0-9a-f]{64}$/)
    .nullable(),
  errorMessage: z.string().nullable(),
  createdAt: IsoDateTime,
  updatedAt: IsoDateTime,
  startedAt: IsoDateTime.nullable(),
  completedAt: IsoDateTime.nullable(),
});
export type Backup = z.infer<typeof Backup>;

export const CreateBackupInput = z.strictObject({ backupType: BackupType.default('full') });
export type CreateBackupInput = z.infer<typeof CreateBackupInput>;

export const ListBackupsQuery = z.strictObject({
  limit: PageLimit,
  cursor: Cursor.optional(),
  status: BackupStatus.optional(),
});
export type ListBackupsQuery = z.infer<typeof ListBackupsQuery>;

export const BackupPage = page(Backup);
export type BackupPage = z.infer<typeof BackupPage>;

/** The largest slice of an archive one `backup.downloadChunk` reply carries (base64 in JSON, under NATS' 1 MB payload). */
export const BACKUP_CHUNK_MAX_BYTES = 512 * 1024;

/** What a download needs to know before the first byte: the archive's name, size and checksum. */
export const BackupDownload = z.strictObject({
  backupId: z.uuid(),
  fileName: z.string().min(1).max(255),
  sizeBytes: z.int().nonnegative(),
  checksumSha256: z.string().regex(/^[0-9a-f]{64}$/),
  chunkBytes: z.int().min(1).max(BACKUP_CHUNK_MAX_BYTES),
});
export type BackupDownload = z.infer<typeof BackupDownload>;

export const BackupChunk = z.strictObject({
  offset: z.int().nonnegative(),
  /** base64 of the bytes from `offset`; empty at the end of the archive. */
  data: z.base64(),
});
export type BackupChunk = z.infer<typeof BackupChunk>;

const BackupRef = z.strictObject({ ctx: RequestContext, backupId: z.uuid() });

export const BackupOps = {
  create: defineOperation(
    'backup',
    'create',
    CreateBackupInput.extend({ ctx: RequestContext, siteId: z.uuid() }),
    Backup,
  ),
  get: defineOperation('backup', 'get', BackupRef, Backup),
  list: defineOperation(
    'backup',
    'list',
    ListBackupsQuery.extend({ ctx: RequestContext, siteId: z.uuid() }),
    BackupPage,
  ),
  /** Metadata of a completed backup's archive; the bytes follow through `downloadChunk`. */
  download: defineOperation('backup', 'download', BackupRef, BackupDownload),
  downloadChunk: defineOperation(
    'backup',
    'downloadChunk',
    BackupRef.extend({ offset: z.int().nonnegative(), length: z.int().min(1).max(BACKUP_CHUNK_MAX_BYTES) }),
    BackupChunk,
  ),
} as const;
