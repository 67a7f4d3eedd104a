import type { GatewayInstance } from './types.js';

export type ReadinessChecks = Record<string, () => boolean | Promise<boolean>>;

export function readyzRoute(app: GatewayInstance, checks: ReadinessChecks): void {
  app.get('/readyz', { schema: { hide: true } }, async (_request, reply) => {
    const results: Record<string, boolean> = {};
    for (const [name, check] of Object.entries(checks)) {
      results[name] = await Promise.resolve()
        .then(check)
        .catch(() => false);
    }
    const ready = Object.values(results).every(Boolean);
    return reply.code(ready ? 200 : 503).send({ status: ready ? 'ready' : 'not_ready', checks: results });
  });
}
