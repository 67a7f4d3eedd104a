import { and, asc, eq, inArray, lt, sql } from 'drizzle-orm';
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
 * changes nothing (already applied or older, another tenant's id, or the site is deleted:
 * deletion is final).
 */
export function nextSiteRow(current: SiteModelRow | undefined, e: SiteFactEnvelope): SiteModelRow | undefined {
  const { fact } = e;
  if (current) {
    if (current.lastSequence >= e.sequence || current.tenantId !== e.tenantId || current.status === 'deleted') {
      return undefined;
    }
  }
  const base: SiteModelRow = current ?? {
    siteId: fact.siteId,
    tenantId: e.tenantId,
    domain: fact.domain,
    siteType: null,
    status: STATUS_AFTER[fact.type],
    createdAt: e.occurredAt,
    updatedAt: e.occurredAt,
    deletedAt: null,
    lastSequence: e.sequence,
  };
  // A late `site.created` (it never is, given per-site ordering) fills in the type, not the status.
  const status = fact.type === 'site.created' && current ? current.status : STATUS_AFTER[fact.type];
  return {
    ...base,
    domain: fact.domain,
    siteType: fact.type === 'site.created' ? fact.siteType : base.siteType,
    status,
    createdAt: fact.type === 'site.created' ? e.occurredAt : base.createdAt,
    updatedAt: e.occurredAt,
    deletedAt: fact.type === 'site.deleted' ? e.occurredAt : base.deletedAt,
    lastSequence: e.sequence,
  };
}

/**
 * Applies one event to the read model (`table`: the live one or the rebuild's), inside the
 * caller's transaction. Returns the row before and after, or `undefined` when nothing changed.
 */
export async function applySiteFact(
  db: DbExecutor,
  e: SiteFactEnvelope,
  table: SiteModelTable = sites,
): Promise<{ before: SiteModelRow | undefined; after: SiteModelRow } | undefined> {
  const [current] = await db.select().from(table).where(eq(table.siteId, e.fact.siteId)).for('update');
  const after = nextSiteRow(current, e);
  if (!after) return undefined;
  const { siteId: _id, ...changes } = after;
  const written = await db
    .insert(table)
    .values(after)
    .onConflictDoUpdate({ target: table.siteId, set: changes, where: lt(table.lastSequence, e.sequence) })
    .returning({ siteId: table.siteId });
  return written.length > 0 ? { before: current, after } : undefined;
}

/**
 * Applies several events (in stream order) to the read model in one pass, inside the caller's
 * transaction: the rows are locked in site id order (so concurrent batches cannot deadlock),
 * each event goes through {@link nextSiteRow} in turn, and the changed rows are written in one
 * statement. Returns the changes, one per site that moved.
 */
export async function applySiteFacts(
  db: DbExecutor,
  facts: readonly SiteFactEnvelope[],
  table: SiteModelTable = sites,
): Promise<{ before: SiteModelRow | undefined; after: SiteModelRow }[]> {
  if (facts.length === 0) return [];
  const ids = [...new Set(facts.map((e) => e.fact.siteId))].sort();
  const locked = await db
    .select()
    .from(table)
    .where(inArray(table.siteId, ids))
    .orderBy(asc(table.siteId))
    .for('update');
  const current = new Map(locked.map((row) => [row.siteId, row]));
  const changes = new Map<string, { before: SiteModelRow | undefined; after: SiteModelRow }>();
  for (const e of facts) {
    const after = nextSiteRow(current.get(e.fact.siteId), e);
    if (!after) continue;
    const before = changes.get(e.fact.siteId)?.before ?? current.get(e.fact.siteId);
    changes.set(e.fact.siteId, { before, after });
    current.set(e.fact.siteId, after);
  }
  if (changes.size === 0) return [];
  const excluded = (column: string) => sql.raw(`excluded.${column}`);
  await db
    .insert(table)
    .values([...changes.values()].map((c) => c.after))
    .onConflictDoUpdate({
      target: table.siteId,
      set: {
        tenantId: excluded('tenant_id'),
        domain: excluded('domain'),
        siteType: excluded('site_type'),
        status: excluded('status'),
        createdAt: excluded('created_at'),
        updatedAt: excluded('updated_at'),
        deletedAt: excluded('deleted_at'),
        lastSequence: excluded('last_sequence'),
      },
    });
  return [...changes.values()];
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
