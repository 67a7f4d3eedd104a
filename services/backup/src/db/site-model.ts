import { and, asc, eq, sql } from 'drizzle-orm';
import type { DbExecutor } from '@chom/db';
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
 * caller's transaction. Returns the row before and after, or `undefined` when nothing changed.
 * `FOR UPDATE` locks nothing while the site has no row, so a first sighting is an insert only
 * one transaction wins (a rebuild's replay and the live listener can meet on one site); the
 * other reads the winner's row, committed by then, and applies its event to that.
 */
export async function applySiteFact(
  db: DbExecutor,
  e: SiteFactEnvelope,
  table: SiteModelTable = sites,
): Promise<{ before: SiteModelRow | undefined; after: SiteModelRow } | undefined> {
  for (;;) {
    const [current] = await db.select().from(table).where(eq(table.siteId, e.fact.siteId)).for('update');
    const after = nextSiteRow(current, e);
    if (!after) return undefined;
    const { siteId: _id, ...changes } = after;
    if (current) {
      await db.update(table).set(changes).where(eq(table.siteId, current.siteId));
      return { before: current, after };
    }
    const inserted = await db.insert(table).values(after).onConflictDoNothing().returning({ siteId: table.siteId });
    if (inserted.length > 0) return { before: undefined, after };
  }
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
