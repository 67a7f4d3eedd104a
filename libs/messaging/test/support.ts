import { randomUUID } from 'node:crypto';
import { jetstream, jetstreamManager, type JetStreamClient, type JetStreamManager } from '@nats-io/jetstream';
import { headers as natsHeaders, type NatsConnection } from '@nats-io/nats-core';
import { connect } from '@nats-io/transport-node';
import { eventSubject, type SubjectSpace } from '@chom/contracts';
import { sampleEvent } from '@chom/contracts/testing';
import { applyLibSchema, createTestDatabase, type TestDatabase } from '@chom/db/testing';
import { createDatabase, type Database } from '@chom/db';
import { captureLogger } from '@chom/telemetry/testing';
import { ensureConsumer, ensureStream, eventStreamSpec, type ListenerSpec } from '../src/index.js';
import { createTestSpace } from '../src/testing/index.js';

export interface Harness {
  nc: NatsConnection;
  js: JetStreamClient;
  jsm: JetStreamManager;
  space: SubjectSpace;
  database: Database;
  /** The test database's URL, for a second pool (another process's view). */
  databaseUrl: string;
  logger: ReturnType<typeof captureLogger>['logger'];
  lines: Record<string, unknown>[];
  close(): Promise<void>;
}

/** NATS, a fresh stream and a fresh database with the lib tables, for one test file. */
export async function openHarness(prefix: string): Promise<Harness> {
  const nc = await connect({ servers: '127.0.0.1:4222' });
  const js = jetstream(nc);
  const jsm = await jetstreamManager(nc);
  const { space, cleanup } = createTestSpace();
  const { logger, lines } = captureLogger(prefix);
  await ensureStream(jsm, eventStreamSpec(space), logger);
  const testDb: TestDatabase = await createTestDatabase(prefix);
  const database = createDatabase({ url: testDb.url, applicationName: prefix, max: 4 });
  await applyLibSchema(database);
  return {
    nc,
    js,
    jsm,
    space,
    database,
    databaseUrl: testDb.url,
    logger,
    lines,
    async close() {
      await database.close();
      await testDb.drop();
      await cleanup(nc);
      await nc.close();
    },
  };
}

/** A listener spec reading one tenant's events, with millisecond retries. */
export async function listenerFor(
  h: Harness,
  tenantId: string,
  overrides: Partial<ListenerSpec> = {},
): Promise<ListenerSpec> {
  const spec: ListenerSpec = {
    name: `l-${tenantId}`,
    filterSubject: `${h.space.events}.${tenantId}.>`,
    maxDeliver: 3,
    backoffMs: [50],
    ackWaitMs: 1_000,
    maxAckPending: 1_000,
    concurrency: 8,
    ...overrides,
  };
  await ensureConsumer(h.jsm, h.space.stream, spec, h.logger);
  return spec;
}

/** Publishes `site.created` events for the tenant (one per site id, in order); returns them. */
export async function publishEvents(
  h: Harness,
  tenantId: string,
  siteIds: string[],
  headers: Record<string, string> = {},
) {
  const events = siteIds.map((siteId, index) => sampleEvent({ tenantId, siteId, domain: `e${index}.example.com` }));
  await Promise.all(
    events.map((event) => {
      const hdrs = natsHeaders();
      for (const [k, v] of Object.entries(headers)) hdrs.set(k, v);
      return h.js.publish(eventSubject(h.space, tenantId, event.type), JSON.stringify(event), {
        msgID: event.id,
        headers: hdrs,
      });
    }),
  );
  return events;
}

export function tenant(): string {
  return `t_${randomUUID().slice(0, 8)}`;
}

export async function pendingOf(h: Harness, consumer: string): Promise<number> {
  const info = await h.jsm.consumers.info(h.space.stream, consumer);
  return info.num_pending + info.num_ack_pending;
}
