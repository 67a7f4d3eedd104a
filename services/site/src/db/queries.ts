import { and, desc, eq, isNull, ne, notInArray, sql, type SQL } from 'drizzle-orm';
import type { Site, SiteStatus, SiteType } from '@chom/contracts';
import type { DbExecutor } from '@chom/db';
import type { VpsSpec } from '../config.js';
import { encodeCursor, type SiteCursor } from './cursor.js';
import { sites, vpsServers } from './schema.js';

/**
 * Queries take the drizzle executor first: `database.db`, or the `tx` of
 * `db.transaction(...)`, the same that `enqueueEvents` takes, so a state change and its
 * outbox rows commit together.
 */
export type Db = DbExecutor;

type SiteRow = typeof sites.$inferSelect;

export function toSite(row: SiteRow): Site {
  return {
    id: row.id,
    tenantId: row.tenantId,
    domain: row.domain,
    siteType: row.siteType as SiteType,
    status: row.status as SiteStatus,
    vpsId: row.vpsId,
    failureReason: row.failureReason,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
    provisionedAt: row.provisionedAt?.toISOString() ?? null,
    deletedAt: row.deletedAt?.toISOString() ?? null,
  };
}

function single(rows: SiteRow[]): Site {
  const [row] = rows;
  if (!row) throw new Error('expected one site row');
  return toSite(row);
}

export interface NewSite {
  id: string;
  tenantId: string;
  domain: string;
  siteType: SiteType;
  status: SiteStatus;
  at: Date;
}

const liveSiteOf = (tenantId: string, siteId: string) =>
  and(eq(sites.id, siteId), eq(sites.tenantId, tenantId), isNull(sites.deletedAt));

/** A live (not deleted) site of this tenant; another tenant's site is not found. */
export async function findSite(db: Db, tenantId: string, siteId: string): Promise<Site | undefined> {
  const [row] = await db.select().from(sites).where(liveSiteOf(tenantId, siteId));
  return row && toSite(row);
}

export interface SiteListQuery {
  limit: number;
  after?: SiteCursor | undefined;
  /** Without it, every status but `deleted`. */
  status?: SiteStatus | undefined;
}

/** One page of a tenant's sites, newest first, by keyset on `(created_at, id)`. */
export async function listSites(
  db: Db,
  tenantId: string,
  query: SiteListQuery,
): Promise<{ items: Site[]; nextCursor: string | null }> {
  const rows = await db
    .select()
    .from(sites)
    .where(
      and(
        eq(sites.tenantId, tenantId),
        query.status ? eq(sites.status, query.status) : ne(sites.status, 'deleted'),
        query.after &&
          sql`(${sites.createdAt}, ${sites.id}) < (${query.after.createdAt}::timestamptz, ${query.after.id}::uuid)`,
      ),
    )
    .orderBy(desc(sites.createdAt), desc(sites.id))
    .limit(query.limit + 1);
  const items = rows.slice(0, query.limit).map(toSite);
  const last = items.at(-1);
  return { items, nextCursor: rows.length > query.limit && last ? encodeCursor(last) : null };
}

/**
 * Soft-deletes a live site and gives back the server it held, if any, for the caller to
 * release in the same transaction.
 */
export async function markSiteDeleted(
  db: Db,
  tenantId: string,
  siteId: string,
  at: Date,
): Promise<{ site: Site; releasedVpsId: string | null } | undefined> {
  const [current] = await db
    .select({ vpsId: sites.vpsId })
    .from(sites)
    .where(liveSiteOf(tenantId, siteId))
    .for('update');
  if (!current) return undefined;
  const site = single(
    await db
      .update(sites)
      .set({ status: 'deleted', deletedAt: at, updatedAt: at, vpsId: null })
      .where(eq(sites.id, siteId))
      .returning(),
  );
  return { site, releasedVpsId: current.vpsId };
}

/** Locks a site for one provisioning step; `undefined` when it does not exist. */
export async function lockSite(db: Db, siteId: string): Promise<Site | undefined> {
  const [row] = await db.select().from(sites).where(eq(sites.id, siteId)).for('update');
  return row && toSite(row);
}

/**
 * Takes one unit of the least loaded active server with room and records it on the site, in
 * one statement; `undefined` when no server has room. SKIP LOCKED first, so concurrent
 * allocations pick different rows rather than queueing on one; when that finds nothing, once
 * more waiting on locked rows, since a row skipped for being locked may still have room once
 * its holder commits (a small pool under load would otherwise report full when it is not).
 */
export async function allocateVps(db: Db, siteId: string, at: Date): Promise<string | undefined> {
  return (await takeVpsUnit(db, siteId, at, sql`SKIP LOCKED`)) ?? (await takeVpsUnit(db, siteId, at, sql``));
}

async function takeVpsUnit(db: Db, siteId: string, at: Date, lockMode: SQL): Promise<string | undefined> {
  const rows = await db.execute<{ id: string }>(sql`
    WITH unit AS (
      UPDATE vps_servers SET allocated = allocated + 1, updated_at = now()
      WHERE id = (
        SELECT id FROM vps_servers
        WHERE active AND allocated < capacity
        ORDER BY allocated::float / capacity, id
        LIMIT 1
        FOR UPDATE ${lockMode}
      )
      RETURNING id
    )
    UPDATE sites SET vps_id = unit.id, updated_at = ${at.toISOString()}::timestamptz
    FROM unit WHERE sites.id = ${siteId}
    RETURNING unit.id`);
  return rows[0]?.id;
}

export async function releaseVps(db: Db, vpsId: string): Promise<void> {
  await db
    .update(vpsServers)
    .set({ allocated: sql`GREATEST(${vpsServers.allocated} - 1, 0)`, updatedAt: sql`now()` })
    .where(eq(vpsServers.id, vpsId));
}

/** Marks a site failed; it no longer holds a server (the caller releases it in the same tx). */
export async function markSiteFailed(db: Db, siteId: string, reason: string, at: Date): Promise<Site> {
  return single(
    await db
      .update(sites)
      .set({ status: 'failed', failureReason: reason, vpsId: null, updatedAt: at })
      .where(eq(sites.id, siteId))
      .returning(),
  );
}

/**
 * Brings the pool in line with the configuration: adds or reactivates the listed servers and
 * deactivates the others (their sites stay; they only take no new ones). Capacity never drops
 * below what is already allocated.
 */
export async function seedVpsPool(db: Db, pool: VpsSpec[]): Promise<void> {
  for (const vps of pool) {
    await db
      .insert(vpsServers)
      .values(vps)
      .onConflictDoUpdate({
        target: vpsServers.id,
        set: {
          hostname: sql`excluded.hostname`,
          capacity: sql`GREATEST(excluded.capacity, ${vpsServers.allocated})`,
          active: true,
          updatedAt: sql`now()`,
        },
      });
  }
  await db
    .update(vpsServers)
    .set({ active: false, updatedAt: sql`now()` })
    .where(
      and(
        eq(vpsServers.active, true),
        notInArray(
          vpsServers.id,
          pool.map((v) => v.id),
        ),
      ),
    );
}

export type VpsServer = Pick<typeof vpsServers.$inferSelect, 'id' | 'capacity' | 'allocated' | 'active'>;

export async function listVpsServers(db: Db): Promise<VpsServer[]> {
  return db
    .select({
      id: vpsServers.id,
      capacity: vpsServers.capacity,
      allocated: vpsServers.allocated,
      active: vpsServers.active,
    })
    .from(vpsServers)
    .orderBy(vpsServers.id);
}
