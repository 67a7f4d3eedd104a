import type { AnyEvent } from '@chom/contracts';
import type { Logger } from '@chom/telemetry';
import { applyEvent, countsInMetrics, UNKNOWN_SITE_TYPE, type BusinessMetrics } from '../business-metrics.js';
import { markCounted, type MetricsDb } from '../db/queries.js';

/** The durable consumer of the business metrics listener. */
export const METRICS_LISTENER = 'metrics';

export interface RecordMetricsDeps {
  db: MetricsDb;
  metrics: BusinessMetrics;
  logger: Logger;
}

const siteIdOf = (event: AnyEvent) => (event.data as { siteId: string }).siteId;

/**
 * Counts a batch of events once per process group: one statement marks their ids processed,
 * remembers the types of the sites created in the batch and reads the types of the others;
 * the in-memory metrics move only after it has committed. A redelivery, or the same event on
 * another replica, finds the mark and counts nothing; a failed statement counts nothing and
 * is retried.
 */
export async function recordMetrics(events: readonly AnyEvent[], deps: RecordMetricsDeps): Promise<void> {
  const counted = events.filter((e) => countsInMetrics(e.type));
  if (counted.length === 0) return;
  // The statement covers every event of the batch, also those already counted (remembering a
  // type again changes nothing).
  const types = new Map<string, string>();
  for (const e of counted) if (e.type === 'site.created') types.set(e.data.siteId, e.data.siteType);
  const unknown = counted.filter((e) => e.type.startsWith('site.') && !types.has(siteIdOf(e))).map(siteIdOf);
  const { fresh, siteTypes } = await markCounted(
    deps.db,
    METRICS_LISTENER,
    counted.map((e) => e.id),
    types,
    unknown,
  );
  for (const [siteId, siteType] of siteTypes) types.set(siteId, siteType);
  const todo = counted.filter((e) => fresh.has(e.id));
  for (const event of todo) {
    const siteType = event.type.startsWith('site.') ? (types.get(siteIdOf(event)) ?? UNKNOWN_SITE_TYPE) : '';
    applyEvent(deps.metrics, event, siteType);
  }
  if (todo.length < counted.length)
    deps.logger.debug({ skipped: counted.length - todo.length }, 'events already counted');
}
