import { jsonElements, markProcessedStatement, textArray, uuidArray, type DbExecutor } from '@chom/db';
import { eq, sql } from 'drizzle-orm';
import type { PostgresJsDatabase } from 'drizzle-orm/postgres-js';
import { tenantStats, type SiteState, type TenantStatsRow, type WaitingSiteEvent } from './schema.js';

/** The drizzle handle over this service's database (no relational schema attached). */
export type MetricsDb = PostgresJsDatabase<Record<string, never>>;

// The statements run per batch pass the batch as one JSON parameter, expanded in SQL: the same
// statement text for every batch size (one prepared statement) and no per-row query building.
// A JS array in a drizzle `sql` template would become a list of parameters, one text per size.
// Rows are found with `= any(array(select ...))`, never `in (select ... from json_...)` or a
// bare join: Postgres guesses 100 rows for a JSON function and, for tables of some thousands
// of rows, reads the whole table into a hash join on every batch instead of probing its index.

/** A site event of a batch whose site's type the batch does not bring. */
export interface SiteEventToLabel extends WaitingSiteEvent {
  eventId: string;
  siteId: string;
}

/** What {@link markCounted} found. */
export interface CountMarks {
  /** The events not counted before. */
  fresh: Set<string>;
  /** The types of the sites asked about that have one. */
  siteTypes: Map<string, string>;
  /** The sites asked about without a type yet: their fresh events now wait for it. */
  waitingSites: Set<string>;
  /** Events that waited for the sites created in this batch: to count now, with their site's type. */
  released: Map<string, WaitingSiteEvent[]>;
}

/**
 * The metrics listener's one statement per batch, atomic without a transaction and in one
 * round trip. It marks the events processed by `consumer`; records the types of the sites
 * created in the batch (the first `site.created` of a site wins), handing back the events that
 * waited for them; and labels `others`, the site events whose types the batch does not bring.
 * Those of known sites get the type; the fresh ones of a site without a type wait in its row.
 *
 * Another replica may be recording the type at the same time: a type committed after this
 * statement's snapshot, or not yet committed, is not seen by the plain read, but the upsert
 * of the waiting events meets the row (waiting for its commit) and returns its type. All the
 * batch's site rows are written by one upsert, in site id order, so two replicas' batches lock
 * them in one order (a deadlock would need the same event in both batches at once, and
 * Postgres would end one statement, which is then retried).
 */
export async function markCounted(
  db: DbExecutor,
  consumer: string,
  eventIds: readonly string[],
  created: ReadonlyMap<string, string>,
  others: readonly SiteEventToLabel[],
): Promise<CountMarks> {
  const types = JSON.stringify([...created].map(([siteId, siteType]) => ({ site_id: siteId, site_type: siteType })));
  const waiting = JSON.stringify(
    others.map((e) => ({
      event_id: e.eventId,
      site_id: e.siteId,
      type: e.type,
      duration_seconds: e.durationSeconds ?? null,
    })),
  );
  const rows = await db.execute<{
    event_id: string | null;
    site_id: string | null;
    site_type: string | null;
    waiting: WaitingSiteEvent[] | null;
  }>(sql`
    with fresh as (${markProcessedStatement(consumer, eventIds)}),
    known as (
      select site_id, site_type from metric_sites
      where site_id = any(${uuidArray(new Set(others.map((e) => e.siteId)))}) and site_type is not null),
    labelled as (
      insert into metric_sites as m (site_id, site_type, waiting, waiting_since)
      select r.site_id, r.site_type, r.waiting, r.waiting_since from (
        select v.site_id, v.site_type, null::jsonb as waiting, null::timestamptz as waiting_since
        from json_to_recordset(${types}::json) as v(site_id uuid, site_type text)
        union all
        select w.site_id, null,
          jsonb_agg(jsonb_strip_nulls(jsonb_build_object('type', w.type, 'durationSeconds', w.duration_seconds))),
          now()
        from json_to_recordset(${waiting}::json) as w(event_id uuid, site_id uuid, type text, duration_seconds float8)
        where w.event_id = any(array(select event_id::uuid from fresh))
          and w.site_id <> all(array(select site_id from known))
        group by w.site_id) as r
      order by r.site_id
      on conflict (site_id) do update set
        site_type = coalesce(m.site_type, excluded.site_type),
        waiting = case when m.site_type is null and excluded.site_type is null
          then coalesce(m.waiting, '[]'::jsonb) || excluded.waiting else m.waiting end,
        -- Null once the site has a type, so the overdue sweep never hands those events back again.
        waiting_since = case when m.site_type is null and excluded.site_type is null
          then coalesce(m.waiting_since, excluded.waiting_since) end
      -- A second site.created of a typed site changes nothing and returns nothing.
      where m.site_type is null or excluded.site_type is null
      returning m.site_id, m.site_type, m.waiting)
    select event_id, null::text as site_id, null::text as site_type, null::jsonb as waiting from fresh
    union all
    select null, site_id::text, site_type, null from known
    union all
    select null, site_id::text, site_type, waiting from labelled`);
  const marks: CountMarks = { fresh: new Set(), siteTypes: new Map(), waitingSites: new Set(), released: new Map() };
  for (const row of rows) {
    if (row.event_id !== null) marks.fresh.add(row.event_id);
    else if (row.site_id === null) continue;
    else if (created.has(row.site_id)) {
      // Returned for a created site only when this statement gave it its type.
      if (row.waiting && row.waiting.length > 0) marks.released.set(row.site_id, row.waiting);
    } else if (row.site_type === null) marks.waitingSites.add(row.site_id);
    else marks.siteTypes.set(row.site_id, row.site_type);
  }
  return marks;
}

/**
 * Drops the events that waited for these sites once they are counted ({@link markCounted}
 * hands them back but cannot clear them in the same statement). Housekeeping only: the row's
 * type is set, so nothing counts them again even if this never runs.
 */
export async function clearReleasedWaits(db: DbExecutor, siteIds: readonly string[]): Promise<void> {
  await db.execute(sql`update metric_sites set waiting = null
    where site_id = any(${uuidArray(siteIds)}) and site_type is not null`);
}

/**
 * Hands back the events that have waited for their site's type longer than `maxWaitMs`
 * (their `site.created` is older than the stream, or failed for this listener), clearing them
 * so they are counted once. Rows another statement holds are left for the next call.
 */
export async function takeOverdueWaits(db: DbExecutor, maxWaitMs: number): Promise<WaitingSiteEvent[]> {
  const rows = await db.execute<{ waiting: WaitingSiteEvent[] }>(sql`
    update metric_sites as m set waiting = null, waiting_since = null
    from (
      select site_id, waiting from metric_sites
      where waiting_since < now() - make_interval(secs => ${maxWaitMs / 1000})
      order by site_id
      for update skip locked) as overdue
    where m.site_id = overdue.site_id
    returning overdue.waiting`);
  return rows.flatMap((row) => row.waiting ?? []);
}

/** The known states of these sites, locked in site id order (so concurrent batches cannot deadlock). */
export async function lockSiteStates(tx: DbExecutor, siteIds: readonly string[]): Promise<Map<string, SiteState>> {
  if (siteIds.length === 0) return new Map();
  const rows = await tx.execute<{ site_id: string; state: SiteState }>(sql`select site_id, state from tenant_sites
    where site_id = any(${uuidArray(siteIds)})
    order by site_id for update`);
  return new Map(rows.map((r) => [r.site_id, r.state]));
}

export interface SiteStateRow {
  siteId: string;
  tenantId: string;
  state: SiteState;
}

/** Saves several sites' states in one statement (one row per site), in site id order like the locks. */
export async function saveSiteStates(tx: DbExecutor, rows: readonly SiteStateRow[]): Promise<void> {
  if (rows.length === 0) return;
  const values = JSON.stringify(rows.map((r) => ({ site_id: r.siteId, tenant_id: r.tenantId, state: r.state })));
  await tx.execute(sql`insert into tenant_sites (site_id, tenant_id, state)
    select v.site_id, v.tenant_id, v.state
    from json_to_recordset(${values}::json) as v(site_id uuid, tenant_id text, state text)
    order by v.site_id
    on conflict (site_id) do update set state = excluded.state, updated_at = now()`);
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
 * Creates the tenants' rows when missing and locks them, in tenant order. A tenant-stats
 * transaction takes these locks before it reads any site's state: every site belongs to one
 * tenant, so two transactions that touch the same site (a rebuild's replay and the live
 * listener, or two replicas) run one after the other, and neither can count a site the other
 * has just recorded. The insert comes first rather than an upsert: Postgres checks the
 * non-negative constraint on the proposed insert row, which a decrement would break.
 */
export async function lockTenantStats(tx: DbExecutor, tenantIds: readonly string[]): Promise<void> {
  if (tenantIds.length === 0) return;
  const sorted = [...new Set(tenantIds)].sort();
  // Sent together (pipelined on the transaction's connection); Postgres runs them in order.
  await Promise.all([
    tx.execute(sql`insert into tenant_stats (tenant_id)
      select value from ${jsonElements(sorted)} order by value on conflict do nothing`),
    tx.execute(sql`select 1 from tenant_stats
      where tenant_id = any(${textArray(sorted)}) order by tenant_id for update`),
  ]);
}

/** Adds each tenant's delta to its counters (`lastBackupAt` moves forward only); the rows are locked already. */
export async function addToTenantStatsMany(tx: DbExecutor, deltas: ReadonlyMap<string, StatsDelta>): Promise<void> {
  if (deltas.size === 0) return;
  const rows = JSON.stringify([...deltas].map(([tenantId, delta]) => ({ tenant_id: tenantId, ...toColumns(delta) })));
  await tx.execute(sql`
    update tenant_stats t set
      sites_provisioning = t.sites_provisioning + d.sites_provisioning,
      sites_active = t.sites_active + d.sites_active,
      sites_failed = t.sites_failed + d.sites_failed,
      backups_completed = t.backups_completed + d.backups_completed,
      backups_failed = t.backups_failed + d.backups_failed,
      backup_bytes = t.backup_bytes + d.backup_bytes,
      last_backup_at = greatest(t.last_backup_at, d.last_backup_at),
      updated_at = now()
    from json_to_recordset(${rows}::json) as d(tenant_id text, sites_provisioning int, sites_active int,
      sites_failed int, backups_completed int, backups_failed int, backup_bytes bigint, last_backup_at timestamptz)
    where t.tenant_id = d.tenant_id
      and t.tenant_id = any(array(select x.tenant_id from json_to_recordset(${rows}::json) as x(tenant_id text)))`);
}

function toColumns(d: StatsDelta = {}) {
  return {
    sites_provisioning: d.sitesProvisioning ?? 0,
    sites_active: d.sitesActive ?? 0,
    sites_failed: d.sitesFailed ?? 0,
    backups_completed: d.backupsCompleted ?? 0,
    backups_failed: d.backupsFailed ?? 0,
    backup_bytes: d.backupBytes ?? 0,
    last_backup_at: d.lastBackupAt ?? null,
  };
}

export async function findTenantStats(db: DbExecutor, tenantId: string): Promise<TenantStatsRow | undefined> {
  const [row] = await db.select().from(tenantStats).where(eq(tenantStats.tenantId, tenantId));
  return row;
}
