import { z } from 'zod';
import { IsoDateTime } from '../domain.js';
import { ActorType, TenantId } from '../ids.js';
import { Cursor, defineOperation, page, PageLimit, RequestContext } from './common.js';

export const AuditSeverity = z.enum(['info', 'warning', 'error']);
export type AuditSeverity = z.infer<typeof AuditSeverity>;

export const AuditEntry = z.strictObject({
  id: z.string(),
  eventId: z.uuid(),
  action: z.string(),
  tenantId: TenantId,
  actorId: z.string().nullable(),
  actorType: ActorType,
  resourceType: z.string(),
  resourceId: z.string(),
  severity: AuditSeverity,
  metadata: z.record(z.string(), z.unknown()),
  correlationId: z.string(),
  occurredAt: IsoDateTime,
  recordedAt: IsoDateTime,
});
export type AuditEntry = z.infer<typeof AuditEntry>;

export const AuditQuery = z
  .strictObject({
    resourceType: z.string().min(1).max(64).optional(),
    resourceId: z.string().min(1).max(128).optional(),
    action: z.string().min(1).max(128).optional(),
    severity: AuditSeverity.optional(),
    from: IsoDateTime.optional(),
    to: IsoDateTime.optional(),
    limit: PageLimit,
    cursor: Cursor.optional(),
  })
  .refine((q) => !q.from || !q.to || Date.parse(q.from) <= Date.parse(q.to), {
    message: '"from" must not be after "to"',
    path: ['from'],
  });
export type AuditQuery = z.infer<typeof AuditQuery>;

export const AuditPage = page(AuditEntry);
export type AuditPage = z.infer<typeof AuditPage>;

export const AuditOps = {
  query: defineOperation('audit', 'query', z.strictObject({ ctx: RequestContext, query: AuditQuery }), AuditPage),
} as const;
