import { AppError } from '@chom/contracts';
import { findEvent } from '@chom/messaging';
import { z } from 'zod';
import { adminOnly } from './admin-failures-support.js';
import { StoredEventView, type AdminEventsDeps } from './admin-events-support.js';
import { bearer, errorResponses } from './schemas.js';
import type { GatewayInstance } from './types.js';

const Params = z.strictObject({
  ref: z.union([z.string().regex(/^[1-9]\d{0,15}$/), z.uuid()]).describe('Stream sequence or event id'),
});

export function adminEventRoute(app: GatewayInstance, deps: AdminEventsDeps): void {
  app.get(
    '/admin/events/:ref',
    {
      config: adminOnly,
      schema: {
        summary: 'One event of the event store, by stream sequence or event id (platform admin)',
        tags: ['admin'],
        security: bearer,
        params: Params,
        response: { 200: StoredEventView, ...errorResponses },
      },
    },
    async (request) => {
      const found = await findEvent(deps.store, request.params.ref);
      if (!found) throw new AppError('EVENT_NOT_FOUND', `no event ${request.params.ref}`);
      return found;
    },
  );
}
