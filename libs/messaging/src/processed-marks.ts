import { pruneProcessedEvents } from '@chom/db';
import type { Logger } from '@chom/telemetry';
import type { JetStreamManager } from '@nats-io/jetstream';
import type postgres from 'postgres';

export interface PruneMarksOptions {
  jsm: JetStreamManager;
  stream: string;
  sql: postgres.Sql;
  /** The consumers whose marks live in this database. */
  consumers: readonly string[];
  /**
   * How long a mark outlives the stream's oldest message: at least the producers' sent-row
   * retention (`OUTBOX_RETAIN_SENT_MS`), within which a sent event may be published again.
   */
  marginMs: number;
  logger: Logger;
  /** Stops between batches (a first prune of a large table may take a while). */
  signal?: AbortSignal;
}

/**
 * Deletes the processed-event marks that can no longer stop anything: those made more than
 * `marginMs` before the stream's oldest message. A mark is made after its message was stored,
 * and a copy of an event (an outbox row published again) follows the first within the
 * producers' retention, so no message still in the stream, and none a replay can bring back,
 * has its mark deleted. An empty stream prunes nothing. Returns how many marks went.
 */
export async function pruneProcessedMarks(options: PruneMarksOptions): Promise<number> {
  const { state } = await options.jsm.streams.info(options.stream);
  if (state.messages === 0) return 0;
  const oldest = Date.parse(state.first_ts);
  if (Number.isNaN(oldest)) return 0;
  const before = new Date(oldest - options.marginMs);
  let pruned = 0;
  for (const consumer of options.consumers) {
    if (options.signal?.aborted) break;
    pruned += await pruneProcessedEvents(options.sql, consumer, before, { signal: options.signal });
  }
  if (pruned > 0)
    options.logger.info({ pruned, before: before.toISOString() }, 'pruned processed-event marks older than the stream');
  return pruned;
}
