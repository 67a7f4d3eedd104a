import type { DbExecutor } from '@chom/db';
import { eq, sql } from 'drizzle-orm';
import type { PgColumn } from 'drizzle-orm/pg-core';
import type { PostgresJsDatabase } from 'drizzle-orm/postgres-js';
import { metricSites, tenantSites, tenantStats, type SiteState, type TenantStatsRow } from './schema.js';

/** The drizzle handle over this service's database (no relational schema attached). */
export type MetricsDb = PostgresJsDatabase<Record<string, never>>;

/** Remembers a site's type; the first `site.created` wins. */
export async function rememberSiteType(tx: DbExecutor, siteId: string, siteType: string): Promise<void> {
  await tx.insert(metricSites).values({ siteId, siteType }).onConflictDoNothing();
}

export async function findSiteType(tx: DbExecutor, siteId: string): Promise<string | undefined> {
  const [row] = await tx.select().from(metricSites).where(eq(metricSites.siteId, siteId));
  return row?.siteType;
}

/** The site's state, locked for the rest of the transaction; undefined when never seen. */
export async function lockSiteState(tx: DbExecutor, siteId: string): Promise<SiteState | undefined> {
  const [row] = await tx
    .select({ state: tenantSites.state })
    .from(tenantSites)
    .where(eq(tenantSites.siteId, siteId))
    .for('update');
  return row?.state;
}

/** Records a site seen for the first time; false when another transaction recorded it first. */
export async function insertSiteState(
  tx: DbExecutor,
  siteId: string,
  tenantId: string,
  state: SiteState,
): Promise<boolean> {
  const inserted = await tx
    .insert(tenantSites)
    .values({ siteId, tenantId, state })
    .onConflictDoNothing()
    .returning({ siteId: tenantSites.siteId });
  return inserted.length > 0;
}

export async function saveSiteState(tx: DbExecutor, siteId: string, tenantId: string, state: SiteState): Promise<void> {
  await tx
    .insert(tenantSites)
    .values({ siteId, tenantId, state })
    .onConflictDoUpdate({ target: tenantSites.siteId, set: { state, updatedAt: sql`now()` } });
}

/** Changes to add to a tenant's counters; `lastBackupAt` moves forward only. */
export interface StatsDelta {
  sitesProvisioning?: number;
  sitesActive?: number;
  sitesFailed?: number;
  backupsCompleted?: number;
  backupsFailed?: number;
  backupBytes?: number;
  lastBackupAt?: string;
}

/**
 * Adds `d` to the tenant's counters, creating its row first. Two statements rather than an
 * upsert: Postgres checks the non-negative constraint on the proposed insert row, which a
 * decrement would break.
 */
export async function addToTenantStats(tx: DbExecutor, tenantId: string, d: StatsDelta): Promise<void> {
  await tx.insert(tenantStats).values({ tenantId }).onConflictDoNothing();
  const add = (column: PgColumn, by: number | undefined) => sql`${column} + ${by ?? 0}`;
  await tx
    .update(tenantStats)
    .set({
      sitesProvisioning: add(tenantStats.sitesProvisioning, d.sitesProvisioning),
      sitesActive: add(tenantStats.sitesActive, d.sitesActive),
      sitesFailed: add(tenantStats.sitesFailed, d.sitesFailed),
      backupsCompleted: add(tenantStats.backupsCompleted, d.backupsCompleted),
      backupsFailed: add(tenantStats.backupsFailed, d.backupsFailed),
      backupBytes: add(tenantStats.backupBytes, d.backupBytes),
      ...(d.lastBackupAt
        ? { lastBackupAt: sql`greatest(${tenantStats.lastBackupAt}, ${d.lastBackupAt}::timestamptz)` }
        : {}),
      updatedAt: sql`now()`,
    })
    .where(eq(tenantStats.tenantId, tenantId));
}

export async function findTenantStats(db: DbExecutor, tenantId: string): Promise<TenantStatsRow | undefined> {
  const [row] = await db.select().from(tenantStats).where(eq(tenantStats.tenantId, tenantId));
  return row;
}
