import type { AnyEvent } from '@chom/contracts';
import { markProcessed } from '@chom/db';
import type { Logger } from '@chom/telemetry';
import { addToTenantStats, lockSiteState, saveSiteState, type MetricsDb } from '../db/queries.js';
import { backupDelta, siteTarget, siteTransition } from '../tenant-stats.js';

/** The durable consumer of the tenant statistics listener (the seed's UpdateTenantMetrics). */
export const TENANT_STATS_LISTENER = 'tenant-stats';

export interface UpdateTenantStatsDeps {
  db: MetricsDb;
  logger: Logger;
}

/**
 * Applies the event to its tenant's statistics in one transaction with the processed-event
 * mark, so a redelivery changes nothing. Site events move the site's recorded state and the
 * counters with it; backup events add to the backup figures.
 */
export async function updateTenantStats(event: AnyEvent, deps: UpdateTenantStatsDeps): Promise<void> {
  const target = siteTarget(event.type);
  const backup = backupDelta(event);
  if (!target && !backup) return;
  const applied = await deps.db.transaction(async (tx) => {
    if (!(await markProcessed(tx, TENANT_STATS_LISTENER, event.id))) return false;
    if (backup) {
      await addToTenantStats(tx, event.tenantId, backup);
      return true;
    }
    const siteId = (event.data as { siteId: string }).siteId;
    const move = siteTransition(await lockSiteState(tx, siteId), target as NonNullable<typeof target>);
    if (!move) return true;
    await saveSiteState(tx, siteId, event.tenantId, move.to);
    await addToTenantStats(tx, event.tenantId, move.delta);
    return true;
  });
  if (!applied) deps.logger.debug({ eventId: event.id }, 'event already in the tenant statistics');
}
