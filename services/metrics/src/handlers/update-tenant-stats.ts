import type { AnyEvent } from '@chom/contracts';
import { markProcessedMany } from '@chom/db';
import type { Logger } from '@chom/telemetry';
import {
  addToTenantStatsMany,
  lockSiteStates,
  lockTenantStats,
  saveSiteStates,
  type MetricsDb,
} from '../db/queries.js';
import { backupDelta, planTenantStats, siteTarget } from '../tenant-stats.js';

/** The durable consumer of the tenant statistics listener (the seed's UpdateTenantMetrics). */
export const TENANT_STATS_LISTENER = 'tenant-stats';

export interface UpdateTenantStatsDeps {
  db: MetricsDb;
  logger: Logger;
}

/**
 * Applies a batch of events (different aggregates, stream order) to the tenants' statistics
 * in one transaction with their processed-event marks, so a redelivery changes nothing. Site
 * events move each site's recorded state and the counters with it; backup events add to the
 * backup figures. Each tenant's row is updated once per batch, whatever the number of events.
 */
export async function updateTenantStats(events: readonly AnyEvent[], deps: UpdateTenantStatsDeps): Promise<void> {
  const relevant = events.filter((e) => siteTarget(e.type) !== undefined || backupDelta(e) !== undefined);
  if (relevant.length === 0) return;
  // Statements that do not wait for each other's results are sent together (pipelined on the
  // transaction's connection, run in the order given): four round trips with BEGIN and COMMIT.
  // The tenants and sites of every event in the batch are locked, also of those already
  // processed (a redelivery): the same locks in the same order (tenants, then sites), a few more.
  const siteIds = relevant.flatMap((e) => (siteTarget(e.type) ? [(e.data as { siteId: string }).siteId] : []));
  const skipped = await deps.db.transaction(async (tx) => {
    const [fresh, , states] = await Promise.all([
      markProcessedMany(
        tx,
        TENANT_STATS_LISTENER,
        relevant.map((e) => e.id),
      ),
      lockTenantStats(
        tx,
        relevant.map((e) => e.tenantId),
      ),
      lockSiteStates(tx, [...new Set(siteIds)].sort()),
    ]);
    const todo = relevant.filter((e) => fresh.has(e.id));
    const plan = planTenantStats(todo, states);
    await Promise.all([saveSiteStates(tx, plan.sites), addToTenantStatsMany(tx, plan.deltas)]);
    return relevant.length - todo.length;
  });
  if (skipped > 0) deps.logger.debug({ skipped }, 'events already in the tenant statistics');
}
