import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { Registry } from 'prom-client';
import type { Logger } from './logger.js';

/** One named readiness check: resolves true when the dependency is usable. */
export type ReadinessCheck = () => boolean | Promise<boolean>;

export interface OpsServerOptions {
  registry: Registry;
  readiness: Record<string, ReadinessCheck>;
  logger: Logger;
}

/**
 * `/healthz` (the process is alive), `/readyz` (every dependency is usable: 503 with the
 * failing ones otherwise) and `/metrics` (Prometheus text). Built apart from `listen`.
 */
export function buildOpsServer(options: OpsServerOptions): FastifyInstance {
  const app = Fastify({
    loggerInstance: options.logger.child({ component: 'ops' }) as FastifyBaseLogger,
    logController: new LogController({ disableRequestLogging: true }),
  });
  app.get('/healthz', async () => ({ status: 'ok' }));
  app.get('/readyz', async (_request, reply) => {
    const checks: Record<string, boolean> = {};
    await Promise.all(
      Object.entries(options.readiness).map(async ([name, check]) => {
        try {
          checks[name] = await check();
        } catch {
          checks[name] = false;
        }
      }),
    );
    const ready = Object.values(checks).every(Boolean);
    return reply.code(ready ? 200 : 503).send({ status: ready ? 'ready' : 'not_ready', checks });
  });
  app.get('/metrics', async (_request, reply) => {
    const body = await options.registry.metrics();
    return reply.type(options.registry.contentType).send(body);
  });
  return app;
}
