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
  const inserted = await tx
    .insert(processedEvents)
    .values({ consumer, eventId })
    .onConflictDoNothing()
    .returning({ eventId: processedEvents.eventId });
  return inserted.length > 0;
}
