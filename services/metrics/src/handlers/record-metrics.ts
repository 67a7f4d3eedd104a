import type { AnyEvent } from '@chom/contracts';
import { markProcessed } from '@chom/db';
import type { Logger } from '@chom/telemetry';
import { applyEvent, countsInMetrics, UNKNOWN_SITE_TYPE, type BusinessMetrics } from '../business-metrics.js';
import { findSiteType, rememberSiteType, type MetricsDb } from '../db/queries.js';

/** The durable consumer of the business metrics listener. */
export const METRICS_LISTENER = 'metrics';

export interface RecordMetricsDeps {
  db: MetricsDb;
  metrics: BusinessMetrics;
  logger: Logger;
}

/**
 * Counts the event once per process group: the event id is marked processed in the same
 * transaction that remembers (or looks up) the site's type, and the in-memory metrics move
 * only after that commit. A redelivery, or the same event on another replica, finds the
 * mark and counts nothing; a failed commit counts nothing and is retried.
 */
export async function recordMetrics(event: AnyEvent, deps: RecordMetricsDeps): Promise<void> {
  if (!countsInMetrics(event.type)) return;
  const siteType = await deps.db.transaction(async (tx) => {
    if (!(await markProcessed(tx, METRICS_LISTENER, event.id))) return null;
    if (event.type === 'site.created') {
      await rememberSiteType(tx, event.data.siteId, event.data.siteType);
      return event.data.siteType;
    }
    if (event.type.startsWith('site.')) {
      const siteId = (event.data as { siteId: string }).siteId;
      return (await findSiteType(tx, siteId)) ?? UNKNOWN_SITE_TYPE;
    }
    return '';
  });
  if (siteType === null) {
    deps.logger.debug({ eventId: event.id }, 'event already counted');
    return;
  }
  applyEvent(deps.metrics, event, siteType);
}
