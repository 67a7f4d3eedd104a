import type { SubjectSpace } from '@chom/contracts';
import { pgFailureStore, type Database } from '@chom/db';
import {
  createProjectionRebuilder,
  ensureConsumer,
  ensureStream,
  eventStreamSpec,
  failureEndpoints,
  projectionEndpoints,
  serveEndpoints,
  startListener,
  type EndpointServer,
  type Listener,
  type ProjectionRebuilder,
} from '@chom/messaging';
import type { Logger, Registry } from '@chom/telemetry';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/nats-core';
import { AUDIT_PROJECTION, buildApp, SERVICE_NAME } from './app.js';
import type { AuditListenerSettings } from './config.js';
import type { AuditDb } from './db/queries.js';

export interface StartAuditOptions {
  nc: NatsConnection;
  database: Database;
  space: SubjectSpace;
  listener: AuditListenerSettings;
  logger: Logger;
  registry?: Registry;
  /** Replaces the drizzle handle the handler and endpoint use (tests inject failures here). */
  db?: AuditDb;
}

export interface RunningAudit {
  listener: Listener;
  endpoints: EndpointServer;
  rebuilder: ProjectionRebuilder;
  /** Drains the listener (in-flight events finish and are acked), then the endpoints. */
  stop(): Promise<void>;
}

/**
 * Ensures the event stream and the audit consumer, then starts the listener and the query
 * endpoint. The database must be migrated and NATS connected.
 */
export async function startAudit(options: StartAuditOptions): Promise<RunningAudit> {
  const { nc, database, space, logger } = options;
  const app = buildApp({ db: options.db ?? database.db, logger }, space, options.listener);
  const jsm = await jetstreamManager(nc);
  await ensureStream(jsm, eventStreamSpec(space), logger);
  await ensureConsumer(jsm, space.stream, app.listener.spec, logger);
  const listener = await startListener({
    js: jetstream(nc),
    stream: space.stream,
    spec: app.listener.spec,
    handle: app.listener.handle,
    handleBatch: (items) => app.listener.handleBatch(items.map((item) => item.event)),
    failures: pgFailureStore(database.sql),
    logger,
    ...(options.registry ? { registry: options.registry } : {}),
  });
  const failureOps = failureEndpoints({
    service: SERVICE_NAME,
    sql: database.sql,
    space,
    listeners: [{ name: app.listener.spec.name, handle: app.listener.handle }],
    logger,
  });
  // No reset: the log is append-only (a trigger refuses deletes) and insert-or-skip by event id, so a
  // rebuild only fills in what is missing.
  const rebuilder = createProjectionRebuilder({
    projection: AUDIT_PROJECTION,
    sql: database.sql,
    js: jetstream(nc),
    jsm,
    space,
    consumer: app.listener.spec.name,
    handle: (event) => app.listener.handle(event),
    logger,
  });
  const endpoints = serveEndpoints(
    nc,
    space,
    [...app.endpoints, ...failureOps, ...projectionEndpoints(SERVICE_NAME, [rebuilder])],
    logger,
  );
  await rebuilder.resume();
  return {
    listener,
    endpoints,
    rebuilder,
    async stop() {
      await rebuilder.stop();
      await listener.drain();
      await endpoints.drain();
    },
  };
}
