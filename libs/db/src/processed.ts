import { uuidv7Floor } from '@chom/contracts';
import { sql, type SQL } from 'drizzle-orm';
import type postgres from 'postgres';
import type { DbExecutor } from './executor.js';
import { jsonElements } from './json-param.js';

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
  const inserted = await tx.execute<{ event_id: string }>(markProcessedStatement(consumer, eventIds));
  return new Set(inserted.map((row) => row.event_id));
}

/**
 * The statement of {@link markProcessedMany}, for a caller that runs it as a data-modifying
 * CTE of its own statement (one round trip, atomic without a transaction). It returns
 * `event_id` (text) of the events not marked before.
 */
export function markProcessedStatement(consumer: string, eventIds: readonly string[]): SQL {
  // Sorted, so that two transactions marking some of the same events cannot deadlock.
  return sql`
    insert into processed_events (consumer, event_id)
    select ${consumer}, value::uuid from ${jsonElements(eventIds)} order by value
    on conflict do nothing
    returning event_id::text`;
}

/**
 * Deletes `consumer`'s processed-event marks made before `before`, in statements of up to
 * `batchSize` rows (short transactions), until none is left or `signal` aborts; returns how
 * many. Event ids are UUID v7, so the marks are found through the primary key: an event
 * processed before `before` was also created before it.
 */
export async function pruneProcessedEvents(
  sql: postgres.Sql,
  consumer: string,
  before: Date,
  options: { batchSize?: number; signal?: AbortSignal } = {},
): Promise<number> {
  const batchSize = options.batchSize ?? 5_000;
  const floor = uuidv7Floor(before.getTime());
  let total = 0;
  for (;;) {
    const deleted = await sql`
      delete from processed_events where ctid = any(array(
        select ctid from processed_events
        where consumer = ${consumer} and event_id < ${floor}::uuid and processed_at < ${before.toISOString()}::timestamptz
        limit ${batchSize}))`;
    total += deleted.count;
    if (deleted.count < batchSize || options.signal?.aborted) return total;
  }
}
