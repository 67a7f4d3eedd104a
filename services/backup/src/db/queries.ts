import { and, desc, eq, sql } from 'drizzle-orm';
import type { Backup, BackupStatus, BackupType } from '@chom/contracts';
import type { DbExecutor } from '@chom/db';
import { encodeCursor, type BackupCursor } from './cursor.js';
import { backups } from './schema.js';

/** Queries take the drizzle executor first: `database.db`, or a transaction's `tx`. */
export type Db = DbExecutor;

export type BackupRow = typeof backups.$inferSelect;

export function toBackup(row: BackupRow): Backup {
  return {
    id: row.id,
    tenantId: row.tenantId,
    siteId: row.siteId,
    backupType: row.backupType as BackupType,
    status: row.status as BackupStatus,
    sizeBytes: row.sizeBytes,
    durationSeconds: row.durationSeconds,
    checksumSha256: row.checksumSha256,
    errorMessage: row.errorMessage,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
    startedAt: row.startedAt?.toISOString() ?? null,
    completedAt: row.completedAt?.toISOString() ?? null,
  };
}

function single(rows: BackupRow[]): BackupRow {
  const [row] = rows;
  if (!row) throw new Error('expected one backup row');
  return row;
}

export interface NewBackup {
  id: string;
  tenantId: string;
  siteId: string;
  backupType: BackupType;
  at: Date;
}

export async function insertBackup(db: Db, backup: NewBackup): Promise<BackupRow> {
  const { at, ...values } = backup;
  return single(
    await db
      .insert(backups)
      .values({ ...values, status: 'pending', createdAt: at, updatedAt: at })
      .returning(),
  );
}

/** A backup of this tenant; another tenant's backup is not found. */
export async function findBackup(db: Db, tenantId: string, backupId: string): Promise<BackupRow | undefined> {
  const [row] = await db
    .select()
    .from(backups)
    .where(and(eq(backups.id, backupId), eq(backups.tenantId, tenantId)));
  return row;
}

export interface BackupListQuery {
  limit: number;
  after?: BackupCursor | undefined;
  status?: BackupStatus | undefined;
}

/** One page of a site's backups, newest first, by keyset on `(created_at, id)`. */
export async function listBackups(
  db: Db,
  tenantId: string,
  siteId: string,
  query: BackupListQuery,
): Promise<{ items: Backup[]; nextCursor: string | null }> {
  const rows = await db
    .select()
    .from(backups)
    .where(
      and(
        eq(backups.tenantId, tenantId),
        eq(backups.siteId, siteId),
        query.status && eq(backups.status, query.status),
        query.after &&
          sql`(${backups.createdAt}, ${backups.id}) < (${query.after.createdAt}::timestamptz, ${query.after.id}::uuid)`,
      ),
    )
    .orderBy(desc(backups.createdAt), desc(backups.id))
    .limit(query.limit + 1);
  const items = rows.slice(0, query.limit).map(toBackup);
  const last = items.at(-1);
  return { items, nextCursor: rows.length > query.limit && last ? encodeCursor(last) : null };
}

/** Locks one backup for a state change; `undefined` when it does not exist. */
export async function lockBackup(db: Db, backupId: string): Promise<BackupRow | undefined> {
  const [row] = await db.select().from(backups).where(eq(backups.id, backupId)).for('update');
  return row;
}

export async function markBackupRunning(db: Db, backupId: string, at: Date): Promise<BackupRow> {
  return single(
    await db
      .update(backups)
      .set({ status: 'running', startedAt: at, updatedAt: at, attempts: sql`${backups.attempts} + 1` })
      .where(eq(backups.id, backupId))
      .returning(),
  );
}

export interface Completion {
  location: string;
  sizeBytes: number;
  checksumSha256: string;
  durationSeconds: number;
  at: Date;
}

export async function markBackupCompleted(db: Db, backupId: string, c: Completion): Promise<BackupRow> {
  return single(
    await db
      .update(backups)
      .set({
        status: 'completed',
        storageLocation: c.location,
        sizeBytes: c.sizeBytes,
        checksumSha256: c.checksumSha256,
        durationSeconds: c.durationSeconds,
        completedAt: c.at,
        updatedAt: c.at,
        errorMessage: null,
      })
      .where(eq(backups.id, backupId))
      .returning(),
  );
}

export async function markBackupFailed(db: Db, backupId: string, errorMessage: string, at: Date): Promise<BackupRow> {
  return single(
    await db
      .update(backups)
      .set({ status: 'failed', errorMessage, completedAt: at, updatedAt: at })
      .where(eq(backups.id, backupId))
      .returning(),
  );
}

/** A site's backups not yet started, locked: a deleted site fails them. */
export async function lockPendingBackupsOfSite(db: Db, siteId: string): Promise<BackupRow[]> {
  return db
    .select()
    .from(backups)
    .where(and(eq(backups.siteId, siteId), eq(backups.status, 'pending')))
    .for('update');
}

/**
 * Retention: marks every completed backup of the site but the newest `keep` as `expired`
 * (the row stays, with its checksum, as history) and returns their archive locations for the
 * caller to remove once the transaction has committed.
 */
export async function expireOldBackups(db: Db, siteId: string, keep: number, at: Date): Promise<string[]> {
  const rows = await db.execute<{ storage_location: string | null }>(sql`
    WITH old AS (
      SELECT id FROM backups
      WHERE site_id = ${siteId} AND status = 'completed'
      ORDER BY completed_at DESC, id DESC
      OFFSET ${keep}
      FOR UPDATE
    )
    UPDATE backups b SET status = 'expired', expired_at = ${at.toISOString()}::timestamptz, updated_at = ${at.toISOString()}::timestamptz
    FROM old WHERE b.id = old.id
    RETURNING b.storage_location`);
  return rows.flatMap((r) => (r.storage_location ? [r.storage_location] : []));
}
