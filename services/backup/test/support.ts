import { createHash } from 'node:crypto';
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { sql } from 'drizzle-orm';
import { parseEvent, type BackupCreated } from '@chom/contracts';
import type { Database } from '@chom/db';
import type { LocalBackupStorage } from '../src/storage/local-storage.js';
import { StorageError, type BackupStorage } from '../src/storage/storage.js';

/** A storage that tests can hold at the start of a write, or make fail. */
export interface StorageControl {
  writes: number;
  failWith: string | undefined;
  gate: Promise<void> | undefined;
}

export function controlledStorage(control: StorageControl) {
  return (local: LocalBackupStorage): BackupStorage => ({
    freeBytes: () => local.freeBytes(),
    async write(request) {
      control.writes += 1;
      if (control.gate) await control.gate;
      if (control.failWith) throw new StorageError(control.failWith);
      return local.write(request);
    },
    read: (location, offset, length) => local.read(location, offset, length),
    remove: (location) => local.remove(location),
  });
}

export async function sha256File(path: string): Promise<string> {
  return createHash('sha256')
    .update(await readFile(path))
    .digest('hex');
}

/** Names of the files in a .tar.gz, as the system's tar reads them. */
export async function tarList(path: string): Promise<string[]> {
  const { stdout } = await promisify(execFile)('tar', ['-tzf', path]);
  return stdout.split('\n').filter(Boolean).sort();
}

export async function outboxEvents(database: Database, type: string, backupId: string) {
  const rows = await database.db.execute<{ event: unknown }>(
    sql`SELECT event FROM outbox WHERE event->>'type' = ${type} AND event->'data'->>'backupId' = ${backupId} ORDER BY id`,
  );
  return rows.map((r) => parseEvent(r.event));
}

export async function createdEvent(database: Database, backupId: string): Promise<BackupCreated> {
  const [event] = await outboxEvents(database, 'backup.created', backupId);
  if (event?.type !== 'backup.created') throw new Error(`no backup.created for ${backupId}`);
  return event;
}

export const archivePath = (storageDir: string, location: string) => join(storageDir, location);
