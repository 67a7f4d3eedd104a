import { randomUUID } from 'node:crypto';
import { jetstream, jetstreamManager, type JetStreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/nats-core';
import { asc, eq } from 'drizzle-orm';
import {
  parseEvent,
  type AnyEvent,
  type Operation,
  type RequestContext,
  type SiteCreated,
  type SubjectSpace,
} from '@chom/contracts';
import { createDatabase, outbox, runMigrations, type Database } from '@chom/db';
import { createTestDatabase, type TestDatabase } from '@chom/db/testing';
import {
  connectNats,
  ensureStream,
  eventStreamSpec,
  requestOperation,
  serveEndpoints,
  startOutboxRelay,
  type EndpointServer,
  type OutboxRelay,
} from '@chom/messaging';
import { createTestSpace } from '@chom/messaging/testing';
import { createLogger, type Logger } from '@chom/telemetry';
import type { z } from 'zod';
import { buildEndpoints } from '../src/app.js';
import type { VpsSpec } from '../src/config.js';
import { MIGRATIONS_FOLDER } from '../src/db/migrations.js';
import { listVpsServers, seedVpsPool } from '../src/db/queries.js';
import type { SiteDeps } from '../src/deps.js';
import type { Provisioner } from '../src/provisioning/provisioner.js';
import { SimulatedProvisioner } from '../src/provisioning/simulated-provisioner.js';

export interface Harness {
  database: Database;
  nc: NatsConnection;
  jsm: JetStreamManager;
  space: SubjectSpace;
  deps: SiteDeps;
  logger: Logger;
  call<O extends Operation>(operation: O, request: z.input<O['request']>): Promise<z.output<O['response']>>;
  /** Events in the outbox, oldest first. */
  outboxEvents(): Promise<AnyEvent[]>;
  createdEvent(siteId: string): Promise<SiteCreated>;
  vps(id: string): Promise<{ allocated: number; capacity: number } | undefined>;
  close(): Promise<void>;
}

export interface HarnessOptions {
  pool?: VpsSpec[];
  provisioner?: Provisioner;
  /** Publish the outbox to the test stream (default true). */
  relay?: boolean;
}

export const ctx = (tenantId: string): RequestContext => ({
  tenantId,
  actor: { id: `u_${tenantId}`, type: 'user' },
  correlationId: randomUUID(),
});

export const uniqueDomain = (label = 'site') => `${label}-${randomUUID().slice(0, 8)}.example.com`;

/** A fresh database and subject space, the site endpoints served on it; `close` removes both. */
export async function startHarness(options: HarnessOptions = {}): Promise<Harness> {
  const logger = createLogger({ service: 'site-test', level: 'error' });
  const testDb: TestDatabase = await createTestDatabase('site');
  const database = createDatabase({ url: testDb.url, applicationName: 'site-test', logger });
  await runMigrations(database, MIGRATIONS_FOLDER);
  await database.db.transaction((tx) =>
    seedVpsPool(tx, options.pool ?? [{ id: 'vps-1', hostname: 'vps-1', capacity: 10 }]),
  );

  const nc = await connectNats({ servers: '127.0.0.1:4222', name: 'site-test' }, logger);
  const jsm = await jetstreamManager(nc);
  const testSpace = createTestSpace();
  const { space } = testSpace;
  await ensureStream(jsm, eventStreamSpec(space, { maxAgeMs: 10 * 60_000 }), logger);

  const deps: SiteDeps = {
    db: database.db,
    space,
    provisioner: options.provisioner ?? new SimulatedProvisioner({ durationMs: 5, failureRate: 0 }),
    logger,
    now: () => new Date(),
  };
  const endpoints: EndpointServer = serveEndpoints(nc, space, buildEndpoints(deps), logger);
  const relay: OutboxRelay | undefined =
    options.relay === false
      ? undefined
      : await startOutboxRelay({ sql: database.sql, js: jetstream(nc), logger, pollIntervalMs: 50 });

  const outboxEvents = async () =>
    (await database.db.select({ event: outbox.event }).from(outbox).orderBy(asc(outbox.id))).map((r) =>
      parseEvent(r.event),
    );

  return {
    database,
    nc,
    jsm,
    space,
    deps,
    logger,
    call: (operation, request) => requestOperation(nc, space, operation, request),
    outboxEvents,
    async createdEvent(siteId) {
      const event = (await outboxEvents()).find((e) => e.type === 'site.created' && e.data.siteId === siteId);
      if (event?.type !== 'site.created') throw new Error(`no site.created for ${siteId}`);
      return event;
    },
    async vps(id) {
      return (await listVpsServers(database.db)).find((v) => v.id === id);
    },
    async close() {
      await endpoints.drain();
      await relay?.stop();
      await testSpace.cleanup(nc);
      await nc.close();
      await database.close();
      await testDb.drop();
    },
  };
}

/** Rows of the outbox for one event id. */
export async function outboxRow(database: Database, eventId: string) {
  const [row] = await database.db.select().from(outbox).where(eq(outbox.eventId, eventId));
  return row;
}
