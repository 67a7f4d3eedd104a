import { MetricsOps, type TenantStats } from '@chom/contracts';
import { endpoint, type Endpoint } from '@chom/messaging';
import { findTenantStats, type MetricsDb } from '../db/queries.js';
import type { TenantStatsRow } from '../db/schema.js';

export interface TenantStatsDeps {
  db: MetricsDb;
}

/** `metrics.tenant-stats`: the caller's tenant only (from the request context); zeros before any event. */
export function tenantStatsEndpoint(deps: TenantStatsDeps): Endpoint {
  return endpoint(MetricsOps.tenantStats, async ({ ctx }) =>
    presentTenantStats(ctx.tenantId, await findTenantStats(deps.db, ctx.tenantId)),
  );
}

export function presentTenantStats(tenantId: string, row: TenantStatsRow | undefined): TenantStats {
  const iso = (value: string | null | undefined) => (value ? new Date(value).toISOString() : null);
  const provisioning = row?.sitesProvisioning ?? 0;
  const active = row?.sitesActive ?? 0;
  const failed = row?.sitesFailed ?? 0;
  return {
    tenantId,
    sites: { live: provisioning + active + failed, provisioning, active, failed },
    backups: {
      completed: row?.backupsCompleted ?? 0,
      failed: row?.backupsFailed ?? 0,
      bytes: row?.backupBytes ?? 0,
      lastBackupAt: iso(row?.lastBackupAt),
    },
    updatedAt: iso(row?.updatedAt),
  };
}
