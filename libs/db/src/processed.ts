import type { DbExecutor } from './executor.js';
import { processedEvents } from './schema.js';

/**
 * Records that `consumer` has applied `eventId`, in the caller's transaction; `false` when it
 * already had, so the handler can skip its effects:
 *
 * ```ts
 * await db.transaction(async (tx) => {
 *   if (!(await markProcessed(tx, 'tenant-stats', event.id))) return;
 *   await bumpCounters(tx, event);
 * });
 * ```
 */
export async function markProcessed(tx: DbExecutor, consumer: string, eventId: string): Promise<boolean> {
  return (await markProcessedMany(tx, consumer, [eventId])).has(eventId);
}

/**
 * {@link markProcessed} for several events in one statement: returns the ids that were not
 * marked before (the ones whose effects the caller should apply).
 */
export async function markProcessedMany(
  tx: DbExecutor,
  consumer: string,
  eventIds: readonly string[],
): Promise<Set<string>> {
  if (eventIds.length === 0) return new Set();
  const inserted = await tx
    .insert(processedEvents)
    // Sorted, so that two transactions marking some of the same events cannot deadlock.
    .values([...eventIds].sort().map((eventId) => ({ consumer, eventId })))
    .onConflictDoNothing()
    .returning({ eventId: processedEvents.eventId });
  return new Set(inserted.map((row) => row.eventId));
}
