import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { createDatabase, ensureDatabase, pgFailureStore, runMigrations } from '@chom/db';
import {
  connectNats,
  natsReady,
  ensureConsumer,
  ensureStream,
  eventStreamSpec,
  failureEndpoints,
  serveEndpoints,
  startListener,
  startOutboxRelay,
  type OutboxRelay,
} from '@chom/messaging';
import { buildOpsServer, createLogger, createMetricsRegistry, handleShutdown } from '@chom/telemetry';
import {
  acceptsSiteCreated,
  buildEndpoints,
  buildProvisionHandler,
  SITE_PROVISIONER,
  siteProvisionerSpec,
} from './app.js';
import { ConfigError, loadConfig } from './config.js';
import { MIGRATIONS_FOLDER } from './db/migrations.js';
import { seedVpsPool } from './db/queries.js';
import type { SiteDeps } from './deps.js';
import { SimulatedProvisioner } from './provisioning/simulated-provisioner.js';
import { checkSslExpiry } from './ssl/check-ssl-expiry.js';
import { startSslExpiryJob } from './ssl/ssl-expiry-job.js';

async function main(): Promise<void> {
  const config = loadConfig();
  const logger = createLogger({ service: config.service, level: config.logLevel });
  const registry = createMetricsRegistry(config.service);

  await ensureDatabase(config.database.url);
  // Room for the provisionings that take the careful path (a transaction each), up to 24 at a
  // time, plus the endpoints and the outbox relay, so the endpoints' statements do not queue
  // behind the provisioner's. The usual path needs no more: concurrent provisionings share
  // their claim and completion statements, and hold no connection while a server works.
  const database = createDatabase({
    url: config.database.url,
    max: config.database.poolMax ?? Math.min(config.siteProvisioner.concurrency, 24) + 8,
    applicationName: config.service,
    planCacheMode: config.database.planCacheMode,
    logger,
  });
  const nc = await connectNats({ ...config.nats, name: config.service }, logger);
  const js = jetstream(nc);
  const jsm = await jetstreamManager(nc);

  await runMigrations(database, MIGRATIONS_FOLDER);
  await database.db.transaction((tx) => seedVpsPool(tx, config.vpsPool));
  const spec = siteProvisionerSpec(config);
  await ensureStream(jsm, eventStreamSpec(config.space), logger);
  await ensureConsumer(jsm, config.space.stream, spec, logger);

  const deps: SiteDeps = {
    db: database.db,
    space: config.space,
    provisioner: new SimulatedProvisioner(config.provisioner),
    logger,
    now: () => new Date(),
    ssl: config.ssl,
  };
  const provision = buildProvisionHandler(deps);
  const failureOps = failureEndpoints({
    service: 'site',
    sql: database.sql,
    space: config.space,
    listeners: [{ name: spec.name, handle: provision }],
    logger,
  });
  const endpoints = serveEndpoints(nc, config.space, [...buildEndpoints(deps), ...failureOps], logger);
  const relay: OutboxRelay | undefined = config.outbox.relay
    ? await startOutboxRelay({
        sql: database.sql,
        js,
        logger,
        registry,
        pollIntervalMs: config.outbox.pollIntervalMs,
        retainSentMs: config.outbox.retainSentMs,
      })
    : undefined;
  const listener = await startListener({
    js,
    stream: config.space.stream,
    spec,
    handle: provision,
    accepts: acceptsSiteCreated,
    failures: pgFailureStore(database.sql),
    logger,
    registry,
  });

  const sslJob =
    config.ssl.checkIntervalMs > 0
      ? startSslExpiryJob(config.ssl.checkIntervalMs, () => checkSslExpiry(deps), logger)
      : undefined;

  const ops = buildOpsServer({
    registry,
    logger,
    readiness: {
      database: async () => (await database.sql`select 1`).length === 1,
      nats: () => natsReady(nc),
      [SITE_PROVISIONER]: () => listener.ready(),
    },
  });
  await ops.listen({ host: config.ops.host, port: config.ops.port });

  handleShutdown(logger, [
    { name: 'ssl expiry job', run: () => sslJob?.stop() },
    { name: 'listener', run: () => listener.drain() },
    { name: 'endpoints', run: () => endpoints.drain() },
    { name: 'outbox relay', run: () => relay?.stop() },
    { name: 'ops server', run: () => ops.close() },
    { name: 'nats', run: () => nc.drain() },
    { name: 'database', run: () => database.close() },
  ]);
  logger.info({ ops: config.ops, relay: config.outbox.relay, pool: config.vpsPool.length }, 'site service started');
}

main().catch((error: unknown) => {
  console.error(error instanceof ConfigError ? error.message : error);
  process.exit(1);
});
