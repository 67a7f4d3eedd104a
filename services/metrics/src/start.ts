import type { SubjectSpace } from '@chom/contracts';
import { pgFailureStore, type Database } from '@chom/db';
import {
  ensureConsumer,
  ensureStream,
  eventStreamSpec,
  failureEndpoints,
  serveEndpoints,
  startListener,
  type EndpointServer,
  type Listener,
} from '@chom/messaging';
import type { Logger, Registry } from '@chom/telemetry';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/nats-core';
import { buildApp, SERVICE_NAME, type MetricsListeners } from './app.js';
import type { MetricsDb } from './db/queries.js';

export interface StartMetricsOptions {
  nc: NatsConnection;
  database: Database;
  space: SubjectSpace;
  listeners: MetricsListeners;
  logger: Logger;
  registry: Registry;
  /** Replaces the drizzle handle the handlers and endpoint use (tests inject failures here). */
  db?: MetricsDb;
}

export interface RunningMetrics {
  /** By durable consumer name: `metrics` and `tenant-stats`. */
  listeners: Map<string, Listener>;
  endpoints: EndpointServer;
  ready(): boolean;
  /** Drains the listeners (in-flight events finish and are acked), then the endpoints. */
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
  const endpoints = serveEndpoints(nc, space, [...app.endpoints, ...failureOps], logger);
  return {
    listeners,
    endpoints,
    ready: () => [...listeners.values()].every((l) => l.ready()),
    async stop() {
      await Promise.all([...listeners.values()].map((l) => l.drain()));
      await endpoints.drain();
    },
  };
}
