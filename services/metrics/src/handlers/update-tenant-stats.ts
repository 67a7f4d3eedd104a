import type { AnyEvent } from '@chom/contracts';
import { markProcessed, type DbExecutor } from '@chom/db';
import type { Logger } from '@chom/telemetry';
import { addToTenantStats, insertSiteState, lockSiteState, saveSiteState, type MetricsDb } from '../db/queries.js';
import type { SiteState } from '../db/schema.js';
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
    await moveSite(tx, (event.data as { siteId: string }).siteId, event.tenantId, target as SiteState);
    return true;
  });
  if (!applied) deps.logger.debug({ eventId: event.id }, 'event already in the tenant statistics');
}

/**
 * Moves the site to `target` and its tenant's counters with it. `FOR UPDATE` locks nothing
 * while the site has no row, and a rebuild replays a site's old events while the live
 * listener handles its new ones: both could take the site for new and count it twice. So a
 * first sighting is an insert that only one transaction wins; the other reads the winner's row
 * (committed by then) and moves on from there.
 */
async function moveSite(tx: DbExecutor, siteId: string, tenantId: string, target: SiteState): Promise<void> {
  for (;;) {
    const from = await lockSiteState(tx, siteId);
    const move = siteTransition(from, target);
    if (!move) return;
    if (from === undefined) {
      if (!(await insertSiteState(tx, siteId, tenantId, move.to))) continue;
    } else {
      await saveSiteState(tx, siteId, tenantId, move.to);
    }
    await addToTenantStats(tx, tenantId, move.delta);
    return;
  }
}
