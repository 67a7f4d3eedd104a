import { jetstream } from '@nats-io/jetstream';
import { createDatabase } from '@chom/db';
import { connectNats, startOutboxRelay } from '@chom/messaging';
import { buildOpsServer, createLogger, createMetricsRegistry, handleShutdown } from '@chom/telemetry';
import { ConfigError, loadConfig } from '../config.js';

/**
 * The site service's outbox relay alone, for operators who run it as its own process (then
 * start the service with OUTBOX_RELAY=off). Expects the database already migrated.
 */
async function relay(): Promise<void> {
  const config = loadConfig();
  const name = `${config.service}-relay`;
  const logger = createLogger({ service: name, level: config.logLevel });
  const registry = createMetricsRegistry(name);
  const database = createDatabase({
    url: config.database.url,
    applicationName: name,
    max: 4,
    planCacheMode: config.database.planCacheMode,
    logger,
  });
  const nc = await connectNats({ ...config.nats, name }, logger);
  const outboxRelay = await startOutboxRelay({
    sql: database.sql,
    js: jetstream(nc),
    logger,
    registry,
    pollIntervalMs: config.outbox.pollIntervalMs,
    retainSentMs: config.outbox.retainSentMs,
  });
  const ops = buildOpsServer({
    registry,
    logger,
    readiness: {
      database: async () => (await database.sql`select 1`).length === 1,
      nats: () => !nc.isClosed(),
    },
  });
  await ops.listen({ host: config.ops.host, port: config.ops.port });
  handleShutdown(logger, [
    { name: 'outbox relay', run: () => outboxRelay.stop() },
    { name: 'ops server', run: () => ops.close() },
    { name: 'nats', run: () => nc.drain() },
    { name: 'database', run: () => database.close() },
  ]);
  logger.info('site outbox relay started');
}

relay().catch((error: unknown) => {
  console.error(error instanceof ConfigError ? error.message : error);
  process.exit(1);
});
