import { uuidv7 } from '@chom/contracts';
import { sql } from 'drizzle-orm';
import { check, index, integer, jsonb, pgTable, text, timestamp, uuid } from 'drizzle-orm/pg-core';

// Shared tables from @chom/db, re-exported so drizzle-kit generates them into this service's migrations.
// Audit publishes nothing, so it has no outbox.
export { processedEvents, processingFailures, projectionRebuilds } from '@chom/db';

/**
 * One row per event, append-only (a trigger in the migrations rejects UPDATE, DELETE and
 * TRUNCATE). `id` is a UUID v7 made on insert: the keyset tie-break after `occurred_at`,
 * and it does not reveal how many rows other tenants have.
 */
export const auditLogs = pgTable(
  'audit_logs',
  {
    id: uuid('id')
      .primaryKey()
      .$defaultFn(() => uuidv7()),
    eventId: uuid('event_id').notNull().unique('audit_logs_event_id_key'),
    action: text('action').notNull(),
    eventVersion: integer('event_version').notNull(),
    tenantId: text('tenant_id').notNull(),
    actorId: text('actor_id'),
    actorType: text('actor_type').notNull(),
    resourceType: text('resource_type').notNull(),
    resourceId: text('resource_id').notNull(),
    severity: text('severity', { enum: ['info', 'warning', 'error'] }).notNull(),
    metadata: jsonb('metadata').$type<Record<string, unknown>>().notNull(),
    correlationId: text('correlation_id').notNull(),
    occurredAt: timestamp('occurred_at', { withTimezone: true, precision: 3 }).notNull(),
    recordedAt: timestamp('recorded_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    check('audit_logs_severity_check', sql`${t.severity} in ('info', 'warning', 'error')`),
    index('audit_logs_tenant_time_idx').on(t.tenantId, t.occurredAt.desc().nullsFirst(), t.id.desc().nullsFirst()),
    index('audit_logs_tenant_resource_idx').on(
      t.tenantId,
      t.resourceType,
      t.resourceId,
      t.occurredAt.desc().nullsFirst(),
      t.id.desc().nullsFirst(),
    ),
    index('audit_logs_tenant_action_idx').on(
      t.tenantId,
      t.action,
      t.occurredAt.desc().nullsFirst(),
      t.id.desc().nullsFirst(),
    ),
    index('audit_logs_tenant_severity_idx').on(
      t.tenantId,
      t.severity,
      t.occurredAt.desc().nullsFirst(),
      t.id.desc().nullsFirst(),
    ),
  ],
);

export type AuditLogRow = typeof auditLogs.$inferSelect;
export type NewAuditLog = typeof auditLogs.$inferInsert;
