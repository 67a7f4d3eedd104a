import { consumersOver, consumerStates } from '@chom/messaging';
import { z } from 'zod';
import { adminOnly } from './admin-failures-support.js';
import { ConsumerStateView, type AdminEventsDeps } from './admin-events-support.js';
import { bearer, errorResponses } from './schemas.js';
import type { GatewayInstance } from './types.js';

const Query = z.strictObject({
  max: z.coerce.number().int().min(0).optional().describe('Names in `over` the consumers more than this behind'),
  sampleMs: z.coerce
    .number()
    .int()
    .min(0)
    .max(10_000)
    .default(1000)
    .describe('Time the rate is measured over; 0 skips the rate'),
});

const Response = z.strictObject({
  stream: z.string(),
  sampleMs: z.number().int(),
  consumers: z.array(ConsumerStateView),
  max: z.number().int().nullable(),
  over: z.array(z.string()).describe('Consumers more than `max` behind; the status stays 200 either way'),
});

export function adminConsumersRoute(app: GatewayInstance, deps: AdminEventsDeps): void {
  app.get(
    '/admin/consumers',
    {
      config: adminOnly,
      schema: {
        summary: 'Durable consumers: backlog, lag, processing rate, time to catch up (platform admin)',
        tags: ['admin'],
        security: bearer,
        querystring: Query,
        response: { 200: Response, ...errorResponses },
      },
    },
    async (request) => {
      const { max, sampleMs } = request.query;
      const { stream } = deps.store.space;
      const consumers = await consumerStates(deps.store.jsm, stream, { sampleMs });
      return {
        stream,
        sampleMs,
        consumers,
        max: max ?? null,
        over: max === undefined ? [] : consumersOver(consumers, max),
      };
    },
  );
}
