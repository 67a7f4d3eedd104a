import { withoutLoneSurrogates } from '@chom/db';
import { uuidv7, type AuditSeverity } from '@chom/contracts';
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
  // One JSON parameter: the same statement text for every batch size (one prepared statement),
  // and no per-row query building.
  const rows = JSON.stringify(
    entries.map((e) => ({
      id: e.id ?? uuidv7(),
      event_id: e.eventId,
      action: e.action,
      event_version: e.eventVersion,
      tenant_id: e.tenantId,
      actor_id: e.actorId && withoutLoneSurrogates(e.actorId),
      actor_type: e.actorType,
      resource_type: e.resourceType,
      resource_id: e.resourceId,
      severity: e.severity,
      metadata: e.metadata,
      correlation_id: e.correlationId,
      occurred_at: e.occurredAt,
      recorded_at: e.recordedAt,
    })),
  );
  const inserted = await db.execute<{ event_id: string }>(sql`
    insert into audit_logs (id, event_id, action, event_version, tenant_id, actor_id, actor_type, resource_type,
      resource_id, severity, metadata, correlation_id, occurred_at, recorded_at)
    select v.id, v.event_id, v.action, v.event_version, v.tenant_id, v.actor_id, v.actor_type, v.resource_type,
      v.resource_id, v.severity, v.metadata, v.correlation_id, v.occurred_at, coalesce(v.recorded_at, now())
    from json_to_recordset(${rows}::json) as v(id uuid, event_id uuid, action text, event_version int, tenant_id text,
      actor_id text, actor_type text, resource_type text, resource_id text, severity text, metadata jsonb,
      correlation_id text, occurred_at timestamptz, recorded_at timestamptz)
    on conflict (event_id) do nothing
    returning event_id::text as event_id`);
  return inserted.map((row) => row.event_id);
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
