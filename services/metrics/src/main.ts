import { createDatabase, ensureDatabase, runMigrations } from '@chom/db';
import { connectNats, natsReady } from '@chom/messaging';
import { buildOpsServer, createLogger, createMetricsRegistry, handleShutdown } from '@chom/telemetry';
import { SERVICE_NAME } from './app.js';
import { loadConfig } from './config.js';
import { MIGRATIONS_FOLDER } from './db/migrations.js';
import { startMetrics } from './start.js';

const config = (() => {
  try {
    return loadConfig();
  } catch (error) {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  }
})();
const logger = createLogger({ service: SERVICE_NAME, level: config.logLevel });
const registry = createMetricsRegistry(SERVICE_NAME);

try {
  await ensureDatabase(config.database.url);
  // One connection per concurrent handler of both listeners, plus the endpoint, the gauges and readiness.
  const database = createDatabase({
    url: config.database.url,
    max: config.database.poolMax ?? config.listeners.metrics.concurrency + config.listeners.tenantStats.concurrency + 4,
    applicationName: SERVICE_NAME,
    planCacheMode: config.database.planCacheMode,
    logger,
  });
  const nc = await connectNats({ ...config.nats, name: SERVICE_NAME }, logger);
  await runMigrations(database, MIGRATIONS_FOLDER);
  const service = await startMetrics({
    nc,
    database,
    space: config.space,
    listeners: config.listeners,
    siteTypeWaitMs: config.siteTypeWaitMs,
    processedMarks: config.processedMarks,
    logger,
    registry,
  });

  const ops = buildOpsServer({
    registry,
    logger,
    readiness: {
      database: async () => (await database.sql`select 1 as ok`).length === 1,
      nats: () => natsReady(nc),
      ...Object.fromEntries([...service.listeners].map(([name, listener]) => [name, () => listener.ready()])),
    },
  });
  await ops.listen({ port: config.ops.port, host: config.ops.host });

  handleShutdown(logger, [
    // The rebuild, the listeners, the endpoints and the periodic jobs, in that order.
    { name: 'metrics', run: () => service.stop() },
    { name: 'ops server', run: () => ops.close() },
    { name: 'nats', run: () => nc.drain() },
    { name: 'database', run: () => database.close() },
  ]);
  logger.info({ opsPort: config.ops.port, stream: config.space.stream }, 'metrics service started');
} catch (error) {
  logger.fatal({ err: error }, 'metrics service failed to start');
  logger.flush?.();
  process.exit(1);
}
