import type { BackupType } from '@chom/contracts';

/** What a backup archive is made of: the backup and what the read model knows of its site. */
export interface ArchiveRequest {
  backupId: string;
  tenantId: string;
  siteId: string;
  domain: string;
  siteType: string | null;
  backupType: BackupType;
  requestedAt: Date;
}

export interface StoredArchive {
  /** Driver-specific, opaque to the rest of the service. */
  location: string;
  sizeBytes: number;
  checksumSha256: string;
}

/**
 * Where archives live. `write` produces the archive for one backup; writing the same backup
 * again replaces it (one archive per backup, never a half-written one under its name).
 */
export interface BackupStorage {
  /** Bytes free for archives on the storage behind the driver. */
  freeBytes(): Promise<number>;
  write(request: ArchiveRequest): Promise<StoredArchive>;
  /** Up to `length` bytes from `offset`; fewer at the end of the archive. */
  read(location: string, offset: number, length: number): Promise<Buffer>;
  /** Removes an archive; removing one that is gone is not an error. */
  remove(location: string): Promise<void>;
}

/** The driver could not write the archive: the backup fails with this message. */
export class StorageError extends Error {
  override readonly name = 'StorageError';
  readonly code = 'STORAGE_FAILED';

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
  }
}
