import { AppError, type SubjectSpace } from '@chom/contracts';
import type { Logger, Registry } from '@chom/telemetry';
import rateLimit from '@fastify/rate-limit';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { JetStreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/nats-core';
import Fastify, { LogController, type FastifyBaseLogger } from 'fastify';
import {
  jsonSchemaTransform,
  serializerCompiler,
  validatorCompiler,
  type ZodTypeProvider,
} from 'fastify-type-provider-zod';
import { authenticate } from './auth/index.js';
import type { GatewayConfig } from './config.js';
import { installErrorHandlers } from './errors.js';
import { registerHttpMetrics } from './http-metrics.js';
import { registerHttpTracing } from './http-tracing.js';
import { trackNatsReadiness } from './nats-state.js';
import type { IdempotencyStore } from './idempotency/store.js';
import { lazyRequestLogger } from './request-logger.js';
import { requestIdOf } from './request-id.js';
import { createBackupRoute } from './routes/create-backup.js';
import { createSiteRoute } from './routes/create-site.js';
import { deleteSiteRoute } from './routes/delete-site.js';
import { downloadBackupRoute } from './routes/download-backup.js';
import { getBackupRoute } from './routes/get-backup.js';
import { getSiteRoute } from './routes/get-site.js';
import { eventsStreamRoute } from './routes/events-stream.js';
import { adminConsumersRoute } from './routes/admin-consumers.js';
import { adminEventRoute } from './routes/admin-event.js';
import { adminEventsRoute } from './routes/admin-events.js';
import { adminEventsOverviewRoute } from './routes/admin-events-overview.js';
import { getFailureRoute } from './routes/get-failure.js';
import { getProjectionRoute } from './routes/get-projection.js';
import { getTenantStatsRoute } from './routes/get-tenant-stats.js';
import { healthzRoute } from './routes/healthz.js';
import { createWebhookRoute } from './routes/create-webhook.js';
import { deleteWebhookRoute } from './routes/delete-webhook.js';
import { listAuditLogsRoute } from './routes/list-audit-logs.js';
import { listBackupsRoute } from './routes/list-backups.js';
import { listFailuresRoute } from './routes/list-failures.js';
import { listNotificationsRoute } from './routes/list-notifications.js';
import { listProjectionsRoute } from './routes/list-projections.js';
import { listWebhooksRoute } from './routes/list-webhooks.js';
import { markAllNotificationsReadRoute } from './routes/mark-all-notifications-read.js';
import { markNotificationReadRoute } from './routes/mark-notification-read.js';
import { listSitesRoute } from './routes/list-sites.js';
import { metricsRoute } from './routes/metrics.js';
import { pruneFailuresRoute } from './routes/prune-failures.js';
import { readyzRoute } from './routes/readyz.js';
import { rebuildProjectionRoute } from './routes/rebuild-projection.js';
import { resolveFailureRoute } from './routes/resolve-failure.js';
import { retryFailureRoute } from './routes/retry-failure.js';
import { retryFailuresRoute } from './routes/retry-failures.js';
import type { GatewayInstance, RouteDeps } from './routes/types.js';
import { serviceClient } from './services.js';

export interface GatewayDeps {
  config: Pick<GatewayConfig, 'jwtSecret' | 'requestTimeoutMs' | 'bodyLimitBytes' | 'rateLimit'>;
  nc: NatsConnection;
  /** JetStream's API on `nc`: the admin event store and consumer routes read the stream with it. */
  jsm: JetStreamManager;
  /**
   * With `stream` and `events`, the gateway also serves the tenant's live event stream (SSE) and the
   * admin event store and consumer routes.
   */
  space: Pick<SubjectSpace, 'services'> & Partial<Pick<SubjectSpace, 'stream' | 'events'>>;
  idempotency: IdempotencyStore;
  logger: Logger;
  registry: Registry;
}

const API_PREFIX = '/api/v1';

/** The gateway's HTTP app, ready for `listen` or `inject`; it never listens itself. */
export function buildApp(deps: GatewayDeps): GatewayInstance {
  const app = Fastify({
    loggerInstance: deps.logger.child({ component: 'http' }) as FastifyBaseLogger,
    genReqId: requestIdOf,
    childLoggerFactory: lazyRequestLogger,
    requestIdHeader: false,
    logController: new LogController({ requestIdLogLabel: 'requestId' }),
    bodyLimit: deps.config.bodyLimitBytes,
  }).withTypeProvider<ZodTypeProvider>();
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  installErrorHandlers(app);
  registerHttpTracing(app);
  app.addHook('onRequest', async (request, reply) => {
    reply.header('x-request-id', request.id);
  });
  registerHttpMetrics(app, deps.registry);

  void app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'CHOM API',
        version: '1.0.0',
        description: 'Sites, backups, audit logs, notifications, webhooks and statistics of the caller’s tenant.',
      },
      components: { securitySchemes: { bearerAuth: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } } },
    },
    transform: jsonSchemaTransform,
  });
  void app.register(swaggerUi, { routePrefix: '/docs' });

  healthzRoute(app);
  readyzRoute(app, { nats: trackNatsReadiness(deps.nc) });
  metricsRoute(app, deps.registry);

  const routeDeps: RouteDeps = {
    services: serviceClient(deps.nc, deps.space, deps.config.requestTimeoutMs),
    idempotency: deps.idempotency,
  };
  void app.register(
    async (api: GatewayInstance) => {
      api.addHook('onRequest', authenticate(deps.config.jwtSecret));
      await api.register(rateLimit, {
        max: deps.config.rateLimit.max,
        timeWindow: deps.config.rateLimit.windowMs,
        keyGenerator: (request) => `tenant:${request.principal?.tenantId ?? request.ip}`,
        errorResponseBuilder: (_request, context) =>
          new AppError('RATE_LIMITED', `rate limit exceeded, retry in ${context.after}`),
      });
      createSiteRoute(api, routeDeps);
      listSitesRoute(api, routeDeps);
      getSiteRoute(api, routeDeps);
      deleteSiteRoute(api, routeDeps);
      listAuditLogsRoute(api, routeDeps);
      getTenantStatsRoute(api, routeDeps);
      createBackupRoute(api, routeDeps);
      listBackupsRoute(api, routeDeps);
      getBackupRoute(api, routeDeps);
      downloadBackupRoute(api, routeDeps);
      listNotificationsRoute(api, routeDeps);
      markAllNotificationsReadRoute(api, routeDeps);
      markNotificationReadRoute(api, routeDeps);
      createWebhookRoute(api, routeDeps);
      listWebhooksRoute(api, routeDeps);
      deleteWebhookRoute(api, routeDeps);
      const { stream, events } = deps.space;
      if (stream && events) {
        eventsStreamRoute(api, { nc: deps.nc, space: { stream, events } });
        const adminDeps = { ...routeDeps, store: { jsm: deps.jsm, space: { stream, events } } };
        adminEventsOverviewRoute(api, adminDeps);
        adminEventsRoute(api, adminDeps);
        adminEventRoute(api, adminDeps);
        adminConsumersRoute(api, adminDeps);
      }
      listFailuresRoute(api, routeDeps);
      retryFailuresRoute(api, routeDeps);
      pruneFailuresRoute(api, routeDeps);
      getFailureRoute(api, routeDeps);
      retryFailureRoute(api, routeDeps);
      resolveFailureRoute(api, routeDeps);
      listProjectionsRoute(api, routeDeps);
      getProjectionRoute(api, routeDeps);
      rebuildProjectionRoute(api, routeDeps);
    },
    { prefix: API_PREFIX },
  );
  return app;
}
