import type { AuditSeverity } from '@chom/contracts';
import { and, desc, eq, gte, lte, sql, type SQL } from 'drizzle-orm';
import type { PostgresJsDatabase } from 'drizzle-orm/postgres-js';
import type { AuditCursor } from '../cursor.js';
import { auditLogs, type AuditLogRow, type NewAuditLog } from './schema.js';

/** The drizzle handle over this service's database (no relational schema attached). */
export type AuditDb = PostgresJsDatabase<Record<string, never>>;

/**
 * Appends entries; an event already recorded is skipped (`ON CONFLICT (event_id) DO
 * NOTHING`), so a redelivery never doubles a row. Returns the event ids that were new.
 */
export async function insertAuditEntries(db: AuditDb, entries: NewAuditLog[]): Promise<string[]> {
  if (entries.length === 0) return [];
  const inserted = await db
    .insert(auditLogs)
    .values(entries)
    .onConflictDoNothing({ target: auditLogs.eventId })
    .returning({ eventId: auditLogs.eventId });
  return inserted.map((row) => row.eventId);
}

export interface AuditFilter {
  tenantId: string;
  resourceType?: string | undefined;
  resourceId?: string | undefined;
  action?: string | undefined;
  severity?: AuditSeverity | undefined;
  /** Inclusive bounds on `occurred_at`. */
  from?: Date | undefined;
  to?: Date | undefined;
  /** Only entries strictly older than this position. */
  after?: AuditCursor | undefined;
  limit: number;
}

/** One tenant's entries, newest first (`occurred_at desc, id desc`), at most `limit`. */
export async function findAuditEntries(db: AuditDb, filter: AuditFilter): Promise<AuditLogRow[]> {
  const conditions: (SQL | undefined)[] = [
    eq(auditLogs.tenantId, filter.tenantId),
    filter.resourceType === undefined ? undefined : eq(auditLogs.resourceType, filter.resourceType),
    filter.resourceId === undefined ? undefined : eq(auditLogs.resourceId, filter.resourceId),
    filter.action === undefined ? undefined : eq(auditLogs.action, filter.action),
    filter.severity === undefined ? undefined : eq(auditLogs.severity, filter.severity),
    filter.from === undefined ? undefined : gte(auditLogs.occurredAt, filter.from),
    filter.to === undefined ? undefined : lte(auditLogs.occurredAt, filter.to),
    // A row comparison, so the (tenant, ..., occurred_at desc, id desc) indexes serve it as one range.
    filter.after === undefined
      ? undefined
      : sql`(${auditLogs.occurredAt}, ${auditLogs.id}) < (${filter.after.occurredAt.toISOString()}::timestamptz, ${filter.after.id}::uuid)`,
  ];
  return db
    .select()
    .from(auditLogs)
    .where(and(...conditions))
    .orderBy(desc(auditLogs.occurredAt), desc(auditLogs.id))
    .limit(filter.limit);
}
