import { groupCommit } from '@chom/db';
import type { NewAuditLog } from './schema.js';

/** Stores entries, skipping events already recorded; returns the event ids that were new. */
export type InsertEntries = (entries: NewAuditLog[]) => Promise<string[]>;

export interface AuditWriter {
  /** Resolves once the entry is stored: true when new, false when its event was already recorded. */
  write(entry: NewAuditLog): Promise<boolean>;
}

/**
 * Groups the entries of concurrent handlers into multi-row inserts (`groupCommit`): a lone
 * event is written at once; under load one commit serves many events, and a row the database
 * refuses fails only its own event.
 */
export function createAuditWriter(insertEntries: InsertEntries, options: { maxBatch?: number } = {}): AuditWriter {
  const write = groupCommit(async (entries: NewAuditLog[]) => {
    const inserted = new Set(await insertEntries(entries));
    // An event twice in one batch: the first copy counts as the new one.
    return entries.map((entry) => inserted.delete(entry.eventId));
  }, options);
  return { write };
}
