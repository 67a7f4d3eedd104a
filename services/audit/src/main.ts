import { createDatabase, ensureDatabase, runMigrations } from '@chom/db';
import { connectNats, natsReady } from '@chom/messaging';
import { buildOpsServer, createLogger, createMetricsRegistry, handleShutdown } from '@chom/telemetry';
import { SERVICE_NAME } from './app.js';
import { loadConfig } from './config.js';
import { MIGRATIONS_FOLDER } from './db/migrations.js';
import { startAudit } from './start.js';

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
  // The handlers' rows go through one writer, one multi-row insert at a time: a few connections
  // for it, a rebuild, the query endpoint and the readiness ping, whatever the concurrency.
  const database = createDatabase({
    url: config.database.url,
    max: config.database.poolMax ?? 8,
    applicationName: SERVICE_NAME,
    planCacheMode: config.database.planCacheMode,
    logger,
  });
  const nc = await connectNats({ ...config.nats, name: SERVICE_NAME }, logger);
  await runMigrations(database, MIGRATIONS_FOLDER);
  const audit = await startAudit({ nc, database, space: config.space, listener: config.listener, logger, registry });

  const ops = buildOpsServer({
    registry,
    logger,
    readiness: {
      database: async () => (await database.sql`select 1 as ok`).length === 1,
      nats: () => natsReady(nc),
      listener: () => audit.listener.ready(),
    },
  });
  await ops.listen({ port: config.ops.port, host: config.ops.host });

  handleShutdown(logger, [
    { name: 'rebuild', run: () => audit.rebuilder.stop() },
    { name: 'listener', run: () => audit.listener.drain() },
    { name: 'endpoints', run: () => audit.endpoints.drain() },
    { name: 'ops server', run: () => ops.close() },
    { name: 'nats', run: () => nc.drain() },
    { name: 'database', run: () => database.close() },
  ]);
  logger.info({ opsPort: config.ops.port, stream: config.space.stream }, 'audit service started');
} catch (error) {
  logger.fatal({ err: error }, 'audit service failed to start');
  logger.flush?.();
  process.exit(1);
}
