import type { GatewayInstance } from './types.js';

export function healthzRoute(app: GatewayInstance): void {
  app.get('/healthz', { schema: { hide: true } }, async () => ({ status: 'ok' }));
}
