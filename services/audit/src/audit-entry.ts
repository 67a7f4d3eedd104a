import { aggregateOf, findEventDefinition, type AnyEvent, type AuditEntry } from '@chom/contracts';
import type { AuditLogRow, NewAuditLog } from './db/schema.js';
import { severityOf } from './severity.js';

/**
 * The value with every NUL character replaced by U+FFFD: Postgres text and jsonb cannot
 * hold NUL, and an event must not become unrecordable for one stray byte in an error text.
 */
export function withoutNul<T>(value: T): T {
  if (typeof value === 'string') return value.replaceAll('\u0000', '\uFFFD') as T;
  if (Array.isArray(value)) return value.map(withoutNul) as T;
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [withoutNul(k), withoutNul(v)])) as T;
  }
  return value;
}

/**
 * The audit row an event becomes. `metadata` keeps the event's payload under `data`, beside
 * where it came from, so payload fields can never shadow the envelope's. `occurredAt` is
 * kept to the millisecond, the precision cursors carry.
 */
export function toAuditEntry(event: AnyEvent): Omit<NewAuditLog, 'id' | 'recordedAt'> {
  const definition = findEventDefinition(event.type, event.version);
  if (!definition) throw new Error(`no definition for ${event.type} v${event.version}`);
  return {
    eventId: event.id,
    action: event.type,
    eventVersion: event.version,
    tenantId: event.tenantId,
    actorId: withoutNul(event.actor.id),
    actorType: event.actor.type,
    resourceType: aggregateOf(event.type),
    resourceId: definition.aggregateId(event.data),
    severity: severityOf(event.type),
    metadata: withoutNul({
      source: event.source,
      correlationId: event.correlationId,
      causationId: event.causationId,
      data: event.data,
    }),
    correlationId: withoutNul(event.correlationId),
    occurredAt: new Date(event.occurredAt),
  };
}

/** A stored row as the `AuditEntry` the query endpoint returns. */
export function presentAuditEntry(row: AuditLogRow): AuditEntry {
  return {
    id: row.id,
    eventId: row.eventId,
    action: row.action,
    tenantId: row.tenantId,
    actorId: row.actorId,
    actorType: row.actorType as AuditEntry['actorType'],
    resourceType: row.resourceType,
    resourceId: row.resourceId,
    severity: row.severity,
    metadata: row.metadata,
    correlationId: row.correlationId,
    occurredAt: row.occurredAt.toISOString(),
    recordedAt: row.recordedAt.toISOString(),
  };
}
