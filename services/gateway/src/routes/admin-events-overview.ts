import { LISTENER_SERVICES } from '@chom/contracts';
import { consumerStates, eventStoreOverview } from '@chom/messaging';
import { z } from 'zod';
import { adminOnly, fanOut } from './admin-failures-support.js';
import type { AdminEventsDeps } from './admin-events-support.js';
import { bearer, errorResponses } from './schemas.js';
import type { GatewayInstance } from './types.js';

const Counts = z.record(z.string(), z.number().int());

const Response = z.strictObject({
  stream: z.string(),
  total: z.number().int(),
  today: z.number().int().describe('Events stored since midnight UTC'),
  firstSeq: z.number().int(),
  lastSeq: z.number().int(),
  firstTime: z.string(),
  lastTime: z.string(),
  perType: Counts,
  perTenant: Counts,
  openFailures: z.strictObject({
    total: z.number().int().describe('Summed over the services that answered'),
    byService: Counts,
    unavailable: z.array(z.string()),
  }),
  consumers: z.array(z.strictObject({ name: z.string(), behind: z.number().int(), lagSeconds: z.number() })),
});

export function adminEventsOverviewRoute(app: GatewayInstance, deps: AdminEventsDeps): void {
  app.get(
    '/admin/events/overview',
    {
      config: adminOnly,
      schema: {
        summary: 'Event store totals, open failures and consumer backlogs (platform admin)',
        tags: ['admin'],
        security: bearer,
        response: { 200: Response, ...errorResponses },
      },
    },
    async (request) => {
      const [totals, failures, consumers] = await Promise.all([
        eventStoreOverview(deps.store),
        fanOut([...LISTENER_SERVICES], (ops) =>
          deps.services.operate(request, ops.count, { filter: { status: 'failed' } }),
        ),
        consumerStates(deps.store.jsm, deps.store.space.stream, { sampleMs: 0 }),
      ]);
      const byService = Object.fromEntries(failures.results.map((r) => [r.service, r.value.count]));
      return {
        ...totals,
        openFailures: {
          total: failures.results.reduce((sum, r) => sum + r.value.count, 0),
          byService,
          unavailable: failures.unavailable,
        },
        consumers: consumers.map(({ name, behind, lagSeconds }) => ({ name, behind, lagSeconds })),
      };
    },
  );
}
