import type { NewAuditLog } from './schema.js';

/** Stores entries, skipping events already recorded; returns the event ids that were new. */
export type InsertEntries = (entries: NewAuditLog[]) => Promise<string[]>;

export interface AuditWriter {
  /** Resolves once the entry is stored: true when new, false when its event was already recorded. */
  write(entry: NewAuditLog): Promise<boolean>;
}

interface Waiting {
  entry: NewAuditLog;
  resolve: (inserted: boolean) => void;
  reject: (error: unknown) => void;
}

/**
 * Groups the entries of concurrent handlers into multi-row inserts: while one insert runs,
 * the entries that arrive wait and go together in the next. Nothing waits for a timer, so a
 * lone event is written at once; under load one commit serves many events. If a batch fails,
 * its entries are tried one by one, so one bad row fails only its own event.
 */
export function createAuditWriter(insertEntries: InsertEntries, options: { maxBatch?: number } = {}): AuditWriter {
  const maxBatch = options.maxBatch ?? 64;
  const queue: Waiting[] = [];
  let flushing = false;

  async function insert(batch: Waiting[]): Promise<void> {
    const ids = await insertEntries(batch.map((w) => w.entry));
    const inserted = new Set(ids);
    // An event twice in one batch: the first copy counts as the new one.
    for (const w of batch) w.resolve(inserted.delete(w.entry.eventId));
  }

  async function flush(): Promise<void> {
    flushing = true;
    try {
      while (queue.length > 0) {
        const batch = queue.splice(0, maxBatch);
        try {
          await insert(batch);
        } catch (error) {
          if (batch.length === 1) batch[0]?.reject(error);
          else for (const w of batch) await insert([w]).catch(w.reject);
        }
      }
    } finally {
      flushing = false;
    }
  }

  return {
    write(entry) {
      return new Promise<boolean>((resolve, reject) => {
        queue.push({ entry, resolve, reject });
        if (!flushing) void flush();
      });
    },
  };
}
