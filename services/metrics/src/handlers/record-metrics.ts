import type { AnyEvent } from '@chom/contracts';
import type { Logger } from '@chom/telemetry';
import {
  applyEvent,
  applySiteEvent,
  countsInMetrics,
  UNKNOWN_SITE_TYPE,
  type BusinessMetrics,
} from '../business-metrics.js';
import {
  clearReleasedWaits,
  markCounted,
  takeOverdueWaits,
  type MetricsDb,
  type SiteEventToLabel,
} from '../db/queries.js';

/** The durable consumer of the business metrics listener. */
export const METRICS_LISTENER = 'metrics';

export interface RecordMetricsDeps {
  db: MetricsDb;
  metrics: BusinessMetrics;
  logger: Logger;
}

const siteIdOf = (event: AnyEvent) => (event.data as { siteId: string }).siteId;

/** The part of a site event its metrics need, kept while it waits for its site's type. */
function toLabel(event: AnyEvent): SiteEventToLabel {
  const durationSeconds = event.type === 'site.provisioned' ? event.data.durationSeconds : undefined;
  return { eventId: event.id, siteId: siteIdOf(event), type: event.type, durationSeconds };
}

/**
 * Counts a batch of events once per process group: one statement marks their ids processed,
 * remembers the types of the sites created in the batch and labels the other site events. The
 * in-memory metrics move only after it has committed. A redelivery, or the same event on
 * another replica, finds the mark and counts nothing; a failed statement counts nothing and
 * is retried. A site event whose site has no type yet (its `site.created` is with another
 * replica) waits in the database and is counted by the replica that records the type.
 */
export async function recordMetrics(events: readonly AnyEvent[], deps: RecordMetricsDeps): Promise<void> {
  const counted = events.filter((e) => countsInMetrics(e.type));
  if (counted.length === 0) return;
  const created = new Map<string, string>();
  for (const e of counted) if (e.type === 'site.created') created.set(e.data.siteId, e.data.siteType);
  // Every event of the batch goes into the statement, also those already counted: only the
  // fresh ones are counted, or wait.
  const others = counted.filter((e) => e.type.startsWith('site.') && !created.has(siteIdOf(e))).map(toLabel);
  const marks = await markCounted(
    deps.db,
    METRICS_LISTENER,
    counted.map((e) => e.id),
    created,
    others,
  );
  const todo = counted.filter((e) => marks.fresh.has(e.id));
  let waiting = 0;
  for (const event of todo) {
    if (!event.type.startsWith('site.')) {
      applyEvent(deps.metrics, event, '');
      continue;
    }
    const siteId = siteIdOf(event);
    if (marks.waitingSites.has(siteId)) waiting += 1;
    else applyEvent(deps.metrics, event, created.get(siteId) ?? marks.siteTypes.get(siteId) ?? UNKNOWN_SITE_TYPE);
  }
  let released = 0;
  for (const [siteId, events] of marks.released) {
    const siteType = created.get(siteId) ?? UNKNOWN_SITE_TYPE;
    for (const event of events) applySiteEvent(deps.metrics, event, siteType);
    released += events.length;
  }
  if (released > 0) {
    await clearReleasedWaits(deps.db, [...marks.released.keys()]).catch((error: unknown) =>
      deps.logger.warn({ err: error }, 'clearing counted waiting events failed (harmless: they stay counted once)'),
    );
  }
  if (todo.length < counted.length || waiting > 0 || released > 0)
    deps.logger.debug(
      { skipped: counted.length - todo.length, waiting, released },
      'events already counted, or waiting for their site type',
    );
}

/**
 * Counts, as of an `unknown` site type, the site events that have waited for their type
 * longer than `maxWaitMs`; returns how many.
 */
export async function countOverdueWaits(deps: RecordMetricsDeps, maxWaitMs: number): Promise<number> {
  const overdue = await takeOverdueWaits(deps.db, maxWaitMs);
  for (const event of overdue) applySiteEvent(deps.metrics, event, UNKNOWN_SITE_TYPE);
  if (overdue.length > 0)
    deps.logger.info({ events: overdue.length }, 'site events counted with an unknown site type after waiting');
  return overdue.length;
}
