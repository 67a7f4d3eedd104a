import { AuditOps } from '@chom/contracts';
import { endpoint, type Endpoint } from '@chom/messaging';
import { presentAuditEntry } from '../audit-entry.js';
import { decodeCursor, encodeCursor } from '../cursor.js';
import { findAuditEntries, type AuditDb } from '../db/queries.js';

export interface QueryAuditDeps {
  db: AuditDb;
}

/**
 * `audit.query`: the caller's tenant's entries only (the tenant comes from the request
 * context, never from the filters), newest first, one page per call.
 */
export function queryAuditEndpoint(deps: QueryAuditDeps): Endpoint {
  return endpoint(AuditOps.query, async ({ ctx, query }) => {
    const rows = await findAuditEntries(deps.db, {
      tenantId: ctx.tenantId,
      resourceType: query.resourceType,
      resourceId: query.resourceId,
      action: query.action,
      severity: query.severity,
      from: query.from === undefined ? undefined : new Date(query.from),
      to: query.to === undefined ? undefined : new Date(query.to),
      after: query.cursor === undefined ? undefined : decodeCursor(query.cursor),
      // One more than asked tells whether another page follows without a count.
      limit: query.limit + 1,
    });
    const items = rows.slice(0, query.limit);
    const last = items.at(-1);
    const nextCursor =
      rows.length > query.limit && last ? encodeCursor({ occurredAt: last.occurredAt, id: last.id }) : null;
    return { items: items.map(presentAuditEntry), nextCursor };
  });
}
