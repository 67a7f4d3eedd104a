import { createDatabase, ensureDatabase, runMigrations } from '@chom/db';
import { connectNats, natsReady } from '@chom/messaging';
import { buildOpsServer, createLogger, createMetricsRegistry, handleShutdown } from '@chom/telemetry';
import { SERVICE_NAME } from './app.js';
import { loadConfig } from './config.js';
import { MIGRATIONS_FOLDER } from './db/migrations.js';
import { startNotification } from './start.js';

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
  const database = createDatabase({
    url: config.database.url,
    max: config.database.poolMax ?? config.listener.concurrency + config.delivery.concurrency + 4,
    applicationName: SERVICE_NAME,
    planCacheMode: config.database.planCacheMode,
    logger,
  });
  const nc = await connectNats({ ...config.nats, name: SERVICE_NAME }, logger);
  await runMigrations(database, MIGRATIONS_FOLDER);
  if (!config.webhook.secretKey) logger.warn('WEBHOOK_SECRET_KEY is not set: webhook secrets are stored unencrypted');
  if (!config.email) logger.info('SMTP_URL is not set: e-mail notifications are off');
  const service = await startNotification({ ...config, nc, database, logger, registry });

  const ops = buildOpsServer({
    registry,
    logger,
    readiness: {
      database: async () => (await database.sql`select 1 as ok`).length === 1,
      nats: () => natsReady(nc),
      listener: () => service.listener.ready(),
    },
  });
  await ops.listen({ port: config.ops.port, host: config.ops.host });

  handleShutdown(logger, [
    { name: 'notification', run: () => service.stop() },
    { name: 'ops server', run: () => ops.close() },
    { name: 'nats', run: () => nc.drain() },
    { name: 'database', run: () => database.close() },
  ]);
  logger.info({ opsPort: config.ops.port, email: Boolean(config.email) }, 'notification service started');
} catch (error) {
  logger.fatal({ err: error }, 'notification service failed to start');
  logger.flush?.();
  process.exit(1);
}
