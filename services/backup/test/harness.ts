import { randomUUID } from 'node:crypto';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { jetstream, jetstreamManager, type JetStreamClient, type JetStreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/nats-core';
import type { z } from 'zod';
import {
  createEvent,
  eventFilter,
  eventSubject,
  parseEvent,
  SiteCreated,
  SiteDeleted,
  SiteProvisioned,
  type AnyEvent,
  type Operation,
  type RequestContext,
  type SubjectSpace,
} from '@chom/contracts';
import { createDatabase, pgFailureStore, runMigrations, type Database } from '@chom/db';
import { createTestDatabase, type TestDatabase } from '@chom/db/testing';
import {
  connectNats,
  ensureConsumer,
  ensureStream,
  eventStreamSpec,
  requestOperation,
  serveEndpoints,
  startListener,
  startOutboxRelay,
  type Listener,
} from '@chom/messaging';
import { createTestSpace } from '@chom/messaging/testing';
import { createLogger, type Logger } from '@chom/telemetry';
import {
  acceptsBackupCreated,
  acceptsSiteEvents,
  backupRunnerSpec,
  backupSitesSpec,
  buildEndpoints,
  buildRunnerHandler,
  buildSitesHandler,
} from '../src/app.js';
import { findModelSite } from '../src/db/site-model.js';
import { MIGRATIONS_FOLDER } from '../src/db/migrations.js';
import type { BackupDeps } from '../src/deps.js';
import { LocalBackupStorage } from '../src/storage/local-storage.js';
import type { BackupStorage } from '../src/storage/storage.js';

export interface HarnessOptions {
  workMs?: number;
  retentionCount?: number;
  minFreeBytes?: number;
  runnerAckWaitMs?: number;
  runnerConcurrency?: number;
  /** Wraps the local storage (tests inject failures or slowness). */
  storage?: (local: LocalBackupStorage) => BackupStorage;
  /** Start the two listeners (default true). */
  listeners?: boolean;
}

export interface Harness {
  database: Database;
  nc: NatsConnection;
  js: JetStreamClient;
  jsm: JetStreamManager;
  space: SubjectSpace;
  deps: BackupDeps;
  storageDir: string;
  logger: Logger;
  call<O extends Operation>(operation: O, request: z.input<O['request']>): Promise<z.output<O['response']>>;
  publish(event: AnyEvent): Promise<number>;
  /** Publishes site.created and site.provisioned, then waits until the read model has the site active. */
  activeSite(tenantId: string): Promise<string>;
  deleteSite(tenantId: string, siteId: string): Promise<void>;
  /** Events of one type in the stream whose data names the backup. */
  streamEvents(type: string, backupId: string): Promise<AnyEvent[]>;
  /** Archive files (relative paths) under the storage directory, partial ones included. */
  archiveFiles(): Promise<string[]>;
  close(): Promise<void>;
}

export const ctx = (tenantId: string): RequestContext => ({
  tenantId,
  actor: { id: `u_${tenantId}`, type: 'user' },
  correlationId: randomUUID(),
});

const siteContext = (tenantId: string) => ({
  tenantId,
  actor: { id: `u_${tenantId}`, type: 'user' as const },
  source: 'site',
  correlationId: randomUUID(),
});

/** A fresh database, subject space and storage directory, with the backup service's parts running on them. */
export async function startHarness(options: HarnessOptions = {}): Promise<Harness> {
  const logger = createLogger({ service: 'backup-test', level: 'error' });
  const testDb: TestDatabase = await createTestDatabase('backup');
  const database = createDatabase({ url: testDb.url, applicationName: 'backup-test', logger });
  await runMigrations(database, MIGRATIONS_FOLDER);
  const storageDir = await mkdtemp(join(tmpdir(), 'chom-backup-test-'));

  const nc = await connectNats({ servers: '127.0.0.1:4222', name: 'backup-test' }, logger);
  const js = jetstream(nc);
  const jsm = await jetstreamManager(nc);
  const testSpace = createTestSpace();
  const { space } = testSpace;
  await ensureStream(jsm, eventStreamSpec(space, { maxAgeMs: 10 * 60_000 }), logger);

  const local = new LocalBackupStorage({
    directory: storageDir,
    workMs: options.workMs ?? 0,
    sizes: { full: 40_000, database: 10_000, files: 20_000 },
  });
  const deps: BackupDeps = {
    db: database.db,
    space,
    storage: options.storage ? options.storage(local) : local,
    minFreeBytes: options.minFreeBytes ?? 0,
    retentionCount: options.retentionCount ?? 7,
    logger,
    now: () => new Date(),
  };
  const endpoints = serveEndpoints(nc, space, buildEndpoints(deps), logger);
  const relay = await startOutboxRelay({ sql: database.sql, js, logger, pollIntervalMs: 50 });
  const listeners: Listener[] = [];
  if (options.listeners !== false) {
    const failures = pgFailureStore(database.sql);
    const flow = { maxDeliver: 3, backoffMs: [20], maxAckPending: 64 };
    const sitesSpec = backupSitesSpec(space, { ...flow, ackWaitMs: 5000, concurrency: 4 });
    const runnerSpec = backupRunnerSpec(space, {
      ...flow,
      ackWaitMs: options.runnerAckWaitMs ?? 5000,
      concurrency: options.runnerConcurrency ?? 4,
    });
    for (const spec of [sitesSpec, runnerSpec]) await ensureConsumer(jsm, space.stream, spec, logger);
    listeners.push(
      await startListener({
        js,
        stream: space.stream,
        spec: sitesSpec,
        handleBatch: buildSitesHandler(deps),
        accepts: acceptsSiteEvents,
        failures,
        logger,
      }),
      await startListener({
        js,
        stream: space.stream,
        spec: runnerSpec,
        handle: buildRunnerHandler(deps),
        accepts: acceptsBackupCreated,
        failures,
        logger,
      }),
    );
  }

  const publish = async (event: AnyEvent) =>
    (await js.publish(eventSubject(space, event.tenantId, event.type), JSON.stringify(event), { msgID: event.id })).seq;

  async function readAll(filter: string): Promise<AnyEvent[]> {
    const consumer = await js.consumers.get(space.stream, { filter_subjects: filter });
    if ((await consumer.info(true)).num_pending === 0) return [];
    const events: AnyEvent[] = [];
    const messages = await consumer.consume();
    for await (const msg of messages) {
      events.push(parseEvent(msg.json()));
      if (msg.info.pending === 0) break;
    }
    await messages.close();
    return events;
  }

  return {
    database,
    nc,
    js,
    jsm,
    space,
    deps,
    storageDir,
    logger,
    call: (operation, request) => requestOperation(nc, space, operation, request),
    publish,
    async activeSite(tenantId) {
      const siteId = randomUUID();
      const domain = `s-${siteId.slice(0, 8)}.example.com`;
      await publish(createEvent(SiteCreated, siteContext(tenantId), { siteId, domain, siteType: 'wordpress' }));
      await publish(
        createEvent(SiteProvisioned, siteContext(tenantId), { siteId, domain, vpsId: 'vps-1', durationSeconds: 0.1 }),
      );
      await waitFor(async () => (await findModelSite(database.db, tenantId, siteId))?.status === 'active');
      return siteId;
    },
    async deleteSite(tenantId, siteId) {
      const site = await findModelSite(database.db, tenantId, siteId);
      await publish(
        createEvent(SiteDeleted, siteContext(tenantId), { siteId, tenantId, domain: site?.domain ?? 'x.example.com' }),
      );
    },
    async streamEvents(type, backupId) {
      const all = await readAll(eventFilter(space, type));
      return all.filter((e) => (e.data as { backupId?: string }).backupId === backupId);
    },
    async archiveFiles() {
      const files = await readdir(storageDir, { recursive: true, withFileTypes: true });
      return files.filter((f) => f.isFile()).map((f) => relative(storageDir, join(f.parentPath, f.name)));
    },
    async close() {
      for (const listener of listeners) await listener.drain();
      await endpoints.drain();
      await relay.stop();
      await testSpace.cleanup(nc);
      await nc.close();
      await database.close();
      await testDb.drop();
      await rm(storageDir, { recursive: true, force: true });
    },
  };
}

async function waitFor(check: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (let delay = 5; !(await check()); delay = Math.min(delay * 2, 100)) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, delay));
  }
}
