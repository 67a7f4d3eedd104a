import type { AnyEvent } from '@chom/contracts';
import { markProcessedMany } from '@chom/db';
import type { Logger } from '@chom/telemetry';
import { applyEvent, countsInMetrics, UNKNOWN_SITE_TYPE, type BusinessMetrics } from '../business-metrics.js';
import { findSiteTypes, rememberSiteTypes, type MetricsDb } from '../db/queries.js';

/** The durable consumer of the business metrics listener. */
export const METRICS_LISTENER = 'metrics';

export interface RecordMetricsDeps {
  db: MetricsDb;
  metrics: BusinessMetrics;
  logger: Logger;
}

const siteIdOf = (event: AnyEvent) => (event.data as { siteId: string }).siteId;

/**
 * Counts a batch of events once per process group: their ids are marked processed in the
 * same transaction that remembers (or looks up) the sites' types, and the in-memory metrics
 * move only after that commit. A redelivery, or the same event on another replica, finds the
 * mark and counts nothing; a failed commit counts nothing and is retried.
 */
export async function recordMetrics(events: readonly AnyEvent[], deps: RecordMetricsDeps): Promise<void> {
  const counted = events.filter((e) => countsInMetrics(e.type));
  if (counted.length === 0) return;
  // The three statements do not wait for each other's results: sent together (pipelined on
  // the transaction's connection, run in this order), one round trip. They cover every event
  // of the batch, also those already counted (remembering a type again changes nothing).
  const types = new Map<string, string>();
  for (const e of counted) if (e.type === 'site.created') types.set(e.data.siteId, e.data.siteType);
  const unknown = counted.filter((e) => e.type.startsWith('site.') && !types.has(siteIdOf(e))).map(siteIdOf);
  const labelled = await deps.db.transaction(async (tx) => {
    const [fresh, , found] = await Promise.all([
      markProcessedMany(
        tx,
        METRICS_LISTENER,
        counted.map((e) => e.id),
      ),
      rememberSiteTypes(tx, types),
      findSiteTypes(tx, unknown),
    ]);
    for (const [siteId, siteType] of found) types.set(siteId, siteType);
    const todo = counted.filter((e) => fresh.has(e.id));
    return todo.map((e) => ({
      event: e,
      siteType: e.type.startsWith('site.') ? (types.get(siteIdOf(e)) ?? UNKNOWN_SITE_TYPE) : '',
    }));
  });
  for (const { event, siteType } of labelled) applyEvent(deps.metrics, event, siteType);
  if (labelled.length < counted.length)
    deps.logger.debug({ skipped: counted.length - labelled.length }, 'events already counted');
}
