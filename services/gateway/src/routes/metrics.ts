import type { Registry } from '@chom/telemetry';
import type { GatewayInstance } from './types.js';

export function metricsRoute(app: GatewayInstance, registry: Registry): void {
  app.get('/metrics', { schema: { hide: true } }, async (_request, reply) =>
    reply.type(registry.contentType).send(await registry.metrics()),
  );
}
