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
import { buildApp, SERVICE_NAME } from './app.js';
import { rebuildEndpoints } from './endpoints/rebuild-projection.js';
import { createAuditRebuilder, type Rebuilder } from './rebuild.js';
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
  rebuilder: Rebuilder;
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
  const rebuilder = createAuditRebuilder({
    sql: database.sql,
    js: jetstream(nc),
    jsm,
    space,
    consumer: app.listener.spec.name,
    handle: app.listener.handle,
    logger,
  });
  const endpoints = serveEndpoints(
    nc,
    space,
    [...app.endpoints, ...failureOps, ...rebuildEndpoints(rebuilder)],
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
