import type { SubjectSpace } from '@chom/contracts';
import { pgFailureStore, resetProjection, type Database } from '@chom/db';
import {
  createProjectionRebuilder,
  ensureConsumer,
  ensureStream,
  eventStreamSpec,
  failureEndpoints,
  projectionEndpoints,
  pruneProcessedMarks,
  serveEndpoints,
  startListener,
  type EndpointServer,
  type Listener,
  type ProjectionRebuilder,
} from '@chom/messaging';
import { scheduleJob, type Logger, type Registry } from '@chom/telemetry';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/nats-core';
import {
  buildApp,
  SERVICE_NAME,
  TENANT_STATS_LISTENER,
  TENANT_STATS_PROJECTION,
  TENANT_STATS_TABLES,
  type MetricsListeners,
} from './app.js';
import { DEFAULT_PROCESSED_MARKS, DEFAULT_SITE_TYPE_WAIT_MS } from './config.js';
import type { MetricsDb } from './db/queries.js';

/** A waiting event is counted at most a fifth of its wait late, checked at least every minute. */
export function overdueCheckIntervalMs(maxWaitMs: number): number {
  return Math.min(Math.max(Math.floor(maxWaitMs / 5), 100), 60_000);
}

export interface StartMetricsOptions {
  nc: NatsConnection;
  database: Database;
  space: SubjectSpace;
  listeners: MetricsListeners;
  logger: Logger;
  registry: Registry;
  /** How long a site event waits for its site's type before it counts as `unknown` (default 5 minutes). */
  siteTypeWaitMs?: number;
  /** Pruning of the listeners' processed-event marks (default: 7 days' margin, hourly). */
  processedMarks?: { marginMs: number; pruneIntervalMs: number };
  /** Replaces the drizzle handle the handlers and endpoint use (tests inject failures here). */
  db?: MetricsDb;
}

export interface RunningMetrics {
  /** By durable consumer name: `metrics` and `tenant-stats`. */
  listeners: Map<string, Listener>;
  endpoints: EndpointServer;
  /** Rebuilds the tenant statistics from the stream (`svc.metrics.projection.*`). */
  rebuilder: ProjectionRebuilder;
  /** One pass of the periodic pruning of processed-event marks, now; returns how many went. */
  pruneMarks(signal?: AbortSignal): Promise<number>;
  ready(): boolean;
  /**
   * Stops a running rebuild (it resumes at the next start), drains the listeners (in-flight
   * events finish and are acked), then the endpoints, then the periodic jobs (the overdue
   * site-type waits, the pruning of processed-event marks; a long prune stops between batches).
   */
  stop(): Promise<void>;
}

/**
 * Ensures the event stream and both consumers, then starts the listeners and the tenant
 * statistics endpoint. The database must be migrated and NATS connected.
 */
export async function startMetrics(options: StartMetricsOptions): Promise<RunningMetrics> {
  const { nc, database, space, logger, registry } = options;
  const app = buildApp({ db: options.db ?? database.db, logger, registry }, space, options.listeners);
  const jsm = await jetstreamManager(nc);
  await ensureStream(jsm, eventStreamSpec(space), logger);
  const js = jetstream(nc);
  const failures = pgFailureStore(database.sql);
  const listeners = new Map<string, Listener>();
  for (const { spec, handleBatch } of app.listeners) {
    await ensureConsumer(jsm, space.stream, spec, logger);
    const listener = await startListener({
      js,
      stream: space.stream,
      spec,
      handleBatch: (items) => handleBatch(items.map((item) => item.event)),
      failures,
      logger,
      registry,
    });
    listeners.set(spec.name, listener);
  }
  const failureOps = failureEndpoints({
    service: SERVICE_NAME,
    sql: database.sql,
    space,
    listeners: app.listeners.map(({ spec, handleBatch }) => ({
      name: spec.name,
      handle: (event) => handleBatch([event]),
    })),
    logger,
  });
  const tenantStats = app.listeners.find((l) => l.spec.name === TENANT_STATS_LISTENER);
  if (!tenantStats) throw new Error(`no ${TENANT_STATS_LISTENER} listener`);
  const rebuilder = createProjectionRebuilder({
    projection: TENANT_STATS_PROJECTION,
    sql: database.sql,
    js,
    jsm,
    space,
    consumer: TENANT_STATS_LISTENER,
    // The live handler: its processed-event marks keep an event the listener also handles from counting twice.
    handle: (event) => tenantStats.handleBatch([event]),
    reset: () => resetProjection(database.sql, { tables: TENANT_STATS_TABLES, consumer: TENANT_STATS_LISTENER }),
    logger,
  });
  const endpoints = serveEndpoints(
    nc,
    space,
    [...app.endpoints, ...failureOps, ...projectionEndpoints(SERVICE_NAME, [rebuilder])],
    logger,
  );
  await rebuilder.resume();
  const maxWaitMs = options.siteTypeWaitMs ?? DEFAULT_SITE_TYPE_WAIT_MS;
  const overdueWaits = scheduleJob(
    'overdue site-type waits',
    overdueCheckIntervalMs(maxWaitMs),
    () => app.countOverdueWaits(maxWaitMs),
    logger,
  );
  const marks = options.processedMarks ?? DEFAULT_PROCESSED_MARKS;
  const pruneMarks = (signal?: AbortSignal) =>
    pruneProcessedMarks({
      jsm,
      stream: space.stream,
      sql: database.sql,
      consumers: app.listeners.map((l) => l.spec.name),
      marginMs: marks.marginMs,
      logger,
      signal,
    });
  const markPruning = scheduleJob('processed-event marks', marks.pruneIntervalMs, pruneMarks, logger);
  return {
    listeners,
    endpoints,
    rebuilder,
    pruneMarks,
    ready: () => [...listeners.values()].every((l) => l.ready()),
    async stop() {
      await rebuilder.stop();
      await Promise.all([...listeners.values()].map((l) => l.drain()));
      await endpoints.drain();
      await overdueWaits.stop();
      await markPruning.stop();
    },
  };
}
