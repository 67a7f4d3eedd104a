import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { createDatabase, ensureDatabase, pgFailureStore, runMigrations } from '@chom/db';
import {
  connectNats,
  natsReady,
  ensureConsumer,
  ensureStream,
  eventStreamSpec,
  failureEndpoints,
  projectionEndpoints,
  serveEndpoints,
  startListener,
  startOutboxRelay,
  type OutboxRelay,
} from '@chom/messaging';
import { buildOpsServer, createLogger, createMetricsRegistry, handleShutdown } from '@chom/telemetry';
import {
  acceptsBackupCreated,
  acceptsSiteEvents,
  BACKUP_RUNNER,
  BACKUP_SITES,
  backupRunnerSpec,
  backupSitesSpec,
  buildEndpoints,
  buildRunnerHandler,
  buildSitesHandler,
} from './app.js';
import { ConfigError, loadConfig } from './config.js';
import { MIGRATIONS_FOLDER } from './db/migrations.js';
import type { BackupDeps } from './deps.js';
import { sitesRebuilder } from './site-model/projection.js';
import { LocalBackupStorage } from './storage/local-storage.js';

async function main(): Promise<void> {
  const config = loadConfig();
  const logger = createLogger({ service: config.service, level: config.logLevel });
  const registry = createMetricsRegistry(config.service);

  await ensureDatabase(config.database.url);
  const database = createDatabase({
    url: config.database.url,
    applicationName: config.service,
    max: config.database.poolMax ?? config.backupRunner.concurrency + config.backupSites.concurrency + 6,
    planCacheMode: config.database.planCacheMode,
    logger,
  });
  const nc = await connectNats({ ...config.nats, name: config.service }, logger);
  const js = jetstream(nc);
  const jsm = await jetstreamManager(nc);

  await runMigrations(database, MIGRATIONS_FOLDER);
  const runnerSpec = backupRunnerSpec(config.space, config.backupRunner);
  const sitesSpec = backupSitesSpec(config.space, config.backupSites);
  await ensureStream(jsm, eventStreamSpec(config.space), logger);
  await ensureConsumer(jsm, config.space.stream, runnerSpec, logger);
  await ensureConsumer(jsm, config.space.stream, sitesSpec, logger);

  const storage = new LocalBackupStorage(config.storage);
  const deps: BackupDeps = {
    db: database.db,
    space: config.space,
    storage,
    minFreeBytes: config.storage.minFreeBytes,
    retentionCount: config.retentionCount,
    logger,
    now: () => new Date(),
  };
  const handleSites = buildSitesHandler(deps);
  const handleRuns = buildRunnerHandler(deps);
  const failureOps = failureEndpoints({
    service: 'backup',
    sql: database.sql,
    space: config.space,
    listeners: [
      { name: sitesSpec.name, handle: (event, ctx) => handleSites([{ event, ctx }]) },
      { name: runnerSpec.name, handle: handleRuns },
    ],
    logger,
  });
  const rebuilder = sitesRebuilder({ sql: database.sql, db: database.db, js, jsm, space: config.space, logger });
  const endpoints = serveEndpoints(
    nc,
    config.space,
    [...buildEndpoints(deps), ...failureOps, ...projectionEndpoints('backup', [rebuilder])],
    logger,
  );
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
  const failures = pgFailureStore(database.sql);
  const sites = await startListener({
    js,
    stream: config.space.stream,
    spec: sitesSpec,
    handleBatch: handleSites,
    accepts: acceptsSiteEvents,
    failures,
    logger,
    registry,
  });
  const runner = await startListener({
    js,
    stream: config.space.stream,
    spec: runnerSpec,
    handle: handleRuns,
    accepts: acceptsBackupCreated,
    failures,
    logger,
    registry,
  });
  await rebuilder.resume();

  const ops = buildOpsServer({
    registry,
    logger,
    readiness: {
      database: async () => (await database.sql`select 1`).length === 1,
      nats: () => natsReady(nc),
      storage: async () => (await storage.freeBytes()) >= 0,
      [BACKUP_SITES]: () => sites.ready(),
      [BACKUP_RUNNER]: () => runner.ready(),
    },
  });
  await ops.listen({ host: config.ops.host, port: config.ops.port });

  handleShutdown(logger, [
    { name: 'rebuild', run: () => rebuilder.stop() },
    { name: 'listeners', run: async () => void (await Promise.all([runner.drain(), sites.drain()])) },
    { name: 'endpoints', run: () => endpoints.drain() },
    { name: 'outbox relay', run: () => relay?.stop() },
    { name: 'ops server', run: () => ops.close() },
    { name: 'nats', run: () => nc.drain() },
    { name: 'database', run: () => database.close() },
  ]);
  logger.info(
    { ops: config.ops, relay: config.outbox.relay, storage: config.storage.directory },
    'backup service started',
  );
}

main().catch((error: unknown) => {
  console.error(error instanceof ConfigError ? error.message : error);
  process.exit(1);
});
