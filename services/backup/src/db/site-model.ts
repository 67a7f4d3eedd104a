import { and, asc, eq, sql } from 'drizzle-orm';
import { uuidArray, type DbExecutor } from '@chom/db';
import { sites, type SiteModelTable } from './schema.js';

export type SiteModelRow = typeof sites.$inferSelect;
export type SiteModelStatus = 'provisioning' | 'active' | 'failed' | 'deleted';

/** The `site.*` events the read model follows, reduced to what it keeps. */
export type SiteFact =
  | { type: 'site.created'; siteId: string; domain: string; siteType: string }
  | { type: 'site.provisioned'; siteId: string; domain: string }
  | { type: 'site.provisioning_failed'; siteId: string; domain: string }
  | { type: 'site.deleted'; siteId: string; domain: string };

export interface SiteFactEnvelope {
  tenantId: string;
  occurredAt: Date;
  sequence: number;
  fact: SiteFact;
}

const STATUS_AFTER: Record<SiteFact['type'], SiteModelStatus> = {
  'site.created': 'provisioning',
  'site.provisioned': 'active',
  'site.provisioning_failed': 'failed',
  'site.deleted': 'deleted',
};

/**
 * The read model's one rule, pure: the row after an event, or `undefined` when the event
 * changes nothing. The newest event (by stream sequence) sets the status; deletion is final;
 * another tenant's id changes nothing. An older event than the row's, met when a rebuild
 * replays the stream while the live listener is ahead of it, changes no status, but fills in
 * what only it knows: the type and creation time of `site.created`. So the row ends the same
 * whichever order the events came in.
 */
export function nextSiteRow(current: SiteModelRow | undefined, e: SiteFactEnvelope): SiteModelRow | undefined {
  const { fact } = e;
  if (!current) {
    return {
      siteId: fact.siteId,
      tenantId: e.tenantId,
      domain: fact.domain,
      siteType: fact.type === 'site.created' ? fact.siteType : null,
      status: STATUS_AFTER[fact.type],
      createdAt: e.occurredAt,
      updatedAt: e.occurredAt,
      deletedAt: fact.type === 'site.deleted' ? e.occurredAt : null,
      lastSequence: e.sequence,
    };
  }
  if (current.tenantId !== e.tenantId || current.lastSequence === e.sequence) return undefined;
  if (current.lastSequence > e.sequence) return backfill(current, e);
  if (current.status === 'deleted') return undefined;
  // A `site.created` after other events of its site (never, given per-site ordering) fills in, as an older one does.
  const created = fact.type === 'site.created';
  return {
    ...(created ? (backfill(current, e) ?? current) : current),
    domain: fact.domain,
    status: created ? current.status : STATUS_AFTER[fact.type],
    updatedAt: e.occurredAt,
    deletedAt: fact.type === 'site.deleted' ? e.occurredAt : current.deletedAt,
    lastSequence: e.sequence,
  };
}

/**
 * What an event older than the row still adds: `site.created` gives the type and the
 * creation time; before it is known, the creation time is the earliest event seen.
 */
function backfill(current: SiteModelRow, e: SiteFactEnvelope): SiteModelRow | undefined {
  const { fact } = e;
  if (fact.type === 'site.created') {
    if (current.siteType === fact.siteType && current.createdAt.getTime() === e.occurredAt.getTime()) return undefined;
    return { ...current, siteType: fact.siteType, createdAt: e.occurredAt };
  }
  if (current.siteType !== null || current.createdAt.getTime() <= e.occurredAt.getTime()) return undefined;
  return { ...current, createdAt: e.occurredAt };
}

/**
 * Applies one event to the read model (`table`: the live one or the rebuild's), inside the
 * caller's transaction; see {@link applySiteFacts}. Returns the row before and after, or
 * `undefined` when nothing changed.
 */
export async function applySiteFact(
  db: DbExecutor,
  e: SiteFactEnvelope,
  table: SiteModelTable = sites,
): Promise<SiteChange | undefined> {
  const [change] = await applySiteFacts(db, [e], table);
  return change;
}

type SiteChange = { before: SiteModelRow | undefined; after: SiteModelRow };

/**
 * Applies several events (in stream order) to the read model inside the caller's transaction,
 * with {@link applySiteFact}'s rules: the rows are locked in site id order (so concurrent
 * batches cannot deadlock), each event goes through {@link nextSiteRow} in turn, and the
 * changed rows are written in two statements. A site seen for the first time is inserted only
 * if no concurrent transaction inserted it first; a site that lost that race is applied again
 * over the winner's row. Returns the changes, one per site that moved.
 */
export async function applySiteFacts(
  db: DbExecutor,
  facts: readonly SiteFactEnvelope[],
  table: SiteModelTable = sites,
): Promise<SiteChange[]> {
  const applied: SiteChange[] = [];
  let pending = facts;
  while (pending.length > 0) {
    const changes = await planSiteChanges(db, pending, table);
    const known = changes.filter((c) => c.before);
    const fresh = changes.filter((c) => !c.before);
    // Different sites: sent together (pipelined within the caller's transaction).
    const [, inserted] = await Promise.all([updateSiteRows(db, table, known), insertSiteRows(db, table, fresh)]);
    applied.push(...known, ...fresh.filter((c) => inserted.has(c.after.siteId)));
    const lost = new Set(fresh.filter((c) => !inserted.has(c.after.siteId)).map((c) => c.after.siteId));
    pending = pending.filter((e) => lost.has(e.fact.siteId));
  }
  return applied;
}

/** Writes the rows of sites this transaction has locked: every one exists, so the upsert updates. */
async function updateSiteRows(db: DbExecutor, table: SiteModelTable, changes: readonly SiteChange[]): Promise<void> {
  if (changes.length === 0) return;
  await db.execute(sql`insert into ${table} ${SITE_COLUMNS}
    select ${SITE_COLUMNS_LIST} from ${siteRecords(changes)} order by v.site_id
    on conflict (site_id) do update set tenant_id = excluded.tenant_id, domain = excluded.domain,
      site_type = excluded.site_type, status = excluded.status, created_at = excluded.created_at,
      updated_at = excluded.updated_at, deleted_at = excluded.deleted_at, last_sequence = excluded.last_sequence`);
}

/** Inserts the rows of sites seen for the first time; returns the ids no concurrent transaction inserted first. */
async function insertSiteRows(
  db: DbExecutor,
  table: SiteModelTable,
  changes: readonly SiteChange[],
): Promise<Set<string>> {
  if (changes.length === 0) return new Set();
  const rows = await db.execute<{ site_id: string }>(sql`insert into ${table} ${SITE_COLUMNS}
    select ${SITE_COLUMNS_LIST} from ${siteRecords(changes)} order by v.site_id
    on conflict do nothing returning site_id`);
  return new Set(rows.map((r) => r.site_id));
}

/** Locks the events' rows (site id order) and runs the events over them: the new row of each site that moves. */
async function planSiteChanges(
  db: DbExecutor,
  facts: readonly SiteFactEnvelope[],
  table: SiteModelTable,
): Promise<SiteChange[]> {
  const locked = (
    await db.execute<SiteRecord>(sql`select ${SITE_COLUMNS_LIST} from ${table}
      where site_id = any(${uuidArray(new Set(facts.map((e) => e.fact.siteId)))})
      order by site_id for update`)
  ).map(fromSiteRecord);
  const current = new Map(locked.map((row) => [row.siteId, row]));
  const changes = new Map<string, SiteChange>();
  for (const e of facts) {
    const after = nextSiteRow(current.get(e.fact.siteId), e);
    if (!after) continue;
    changes.set(e.fact.siteId, { before: changes.get(e.fact.siteId)?.before ?? current.get(e.fact.siteId), after });
    current.set(e.fact.siteId, after);
  }
  return [...changes.values()];
}

// The per-batch statements pass their rows as one JSON parameter, expanded in SQL: the same
// statement text for every batch size (one prepared statement) and no per-row query building.
// Rows are found with `= any(array(select ...))`, not `in (select ... from json_...)`: Postgres
// guesses 100 rows for a JSON function and would read the whole table into a hash join.
const SITE_COLUMNS_LIST = sql.raw(
  'site_id, tenant_id, domain, site_type, status, created_at, updated_at, deleted_at, last_sequence',
);
const SITE_COLUMNS = sql`(${SITE_COLUMNS_LIST})`;

/** A read model row as the driver returns it through `execute`: timestamps as text, the bigint as text. */
type SiteRecord = {
  site_id: string;
  tenant_id: string;
  domain: string;
  site_type: string | null;
  status: string;
  created_at: string;
  updated_at: string;
  deleted_at: string | null;
  last_sequence: string;
};

function fromSiteRecord(r: SiteRecord): SiteModelRow {
  return {
    siteId: r.site_id,
    tenantId: r.tenant_id,
    domain: r.domain,
    siteType: r.site_type,
    status: r.status,
    createdAt: new Date(r.created_at),
    updatedAt: new Date(r.updated_at),
    deletedAt: r.deleted_at === null ? null : new Date(r.deleted_at),
    lastSequence: Number(r.last_sequence),
  };
}

/** The changes' new rows as a `json_to_recordset` source aliased `v`, its columns in {@link SITE_COLUMNS} order. */
function siteRecords(changes: readonly SiteChange[]) {
  const rows = JSON.stringify(
    changes.map(({ after: r }) => ({
      site_id: r.siteId,
      tenant_id: r.tenantId,
      domain: r.domain,
      site_type: r.siteType,
      status: r.status,
      created_at: r.createdAt,
      updated_at: r.updatedAt,
      deleted_at: r.deletedAt,
      last_sequence: r.lastSequence,
    })),
  );
  return sql`json_to_recordset(${rows}::json) as v(site_id uuid, tenant_id text, domain text, site_type text,
    status text, created_at timestamptz, updated_at timestamptz, deleted_at timestamptz, last_sequence bigint)`;
}

/** The tenant's view of a site; another tenant's site is not found. */
export async function findModelSite(
  db: DbExecutor,
  tenantId: string,
  siteId: string,
): Promise<SiteModelRow | undefined> {
  const [row] = await db
    .select()
    .from(sites)
    .where(and(eq(sites.siteId, siteId), eq(sites.tenantId, tenantId)));
  return row;
}

/** Every row of a read model table in id order (for comparing a rebuild with the live model). */
export async function allModelRows(db: DbExecutor, table: SiteModelTable = sites): Promise<SiteModelRow[]> {
  return db.select().from(table).orderBy(asc(table.siteId));
}

/** Empties a read model table (the rebuild's, before a replay). */
export async function resetModelTable(db: DbExecutor, name: string): Promise<void> {
  await db.execute(sql`TRUNCATE ${sql.identifier(name)}`);
}
