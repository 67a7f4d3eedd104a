import { IsoDateTime, TenantId } from '@chom/contracts';
import { recentEvents } from '@chom/messaging';
import { z } from 'zod';
import { adminOnly } from './admin-failures-support.js';
import { EventTypeFilter, StoredEventView, type AdminEventsDeps } from './admin-events-support.js';
import { bearer, errorResponses } from './schemas.js';
import type { GatewayInstance } from './types.js';

const Query = z.strictObject({
  type: EventTypeFilter.optional(),
  tenant: TenantId.optional(),
  since: IsoDateTime.optional().describe('Only events stored at or after this time'),
  before: z.coerce
    .number()
    .int()
    .min(1)
    .optional()
    .describe('Stream sequence: only older events (the previous page’s nextBefore)'),
  limit: z.coerce.number().int().min(1).max(500).default(50),
});

const Response = z.strictObject({
  items: z.array(StoredEventView).describe('Newest first'),
  nextBefore: z.number().int().nullable().describe('Pass as `before` for older events; null when there are none'),
});

export function adminEventsRoute(app: GatewayInstance, deps: AdminEventsDeps): void {
  app.get(
    '/admin/events',
    {
      config: adminOnly,
      schema: {
        summary: 'Recent events of the event store, across tenants (platform admin)',
        tags: ['admin'],
        security: bearer,
        querystring: Query,
        response: { 200: Response, ...errorResponses },
      },
    },
    async (request) => {
      const { type, tenant, since, before, limit } = request.query;
      return recentEvents(deps.store, {
        limit,
        ...(type ? { type } : {}),
        ...(tenant ? { tenant } : {}),
        ...(since ? { since: new Date(since) } : {}),
        ...(before ? { beforeSeq: before } : {}),
      });
    },
  );
}
