import { randomUUID } from 'node:crypto';
import { eventSubject, type AnyEvent } from '@chom/contracts';
import { sampleEvent } from '@chom/contracts/testing';
import { applyLibSchema, createTestDatabase, type TestDatabase } from '@chom/db/testing';
import { createDatabase, pgFailureStore, type Database } from '@chom/db';
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
  type EventHandler,
  type Listener,
  type ListenerSpec,
} from '@chom/messaging';
import { createTestSpace } from '@chom/messaging/testing';
import { captureLogger } from '@chom/telemetry/testing';
import { jetstream, jetstreamManager, type JetStreamClient } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/nats-core';
import { connect } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CliConfig } from '../src/config.js';
import type { Output } from '../src/format.js';
import { runCli } from '../src/run.js';

const { space, cleanup } = createTestSpace();
const { logger } = captureLogger('cli');
const config: CliConfig = { nats: { servers: '127.0.0.1:4222' }, space, jwtSecret: 'cli-test-secret' };
let nc: NatsConnection;
let js: JetStreamClient;
let testDb: TestDatabase;
let database: Database;
const listeners: Listener[] = [];
let server: EndpointServer | undefined;

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- parsed CLI output, checked by the assertions
type Json = any;

/** Runs the CLI with `--json`; returns its exit code and parsed output. */
async function chom(...args: string[]): Promise<{ code: number; body: Json }> {
  const lines: string[] = [];
  const out: Output = { json: true, write: (line) => lines.push(line) };
  const code = await runCli([...args, '--json'], config, out);
  return { code, body: lines.length ? JSON.parse(lines.join('\n')) : undefined };
}

async function publish(events: AnyEvent[]): Promise<void> {
  for (const e of events) await js.publish(eventSubject(space, e.tenantId, e.type), JSON.stringify(e), { msgID: e.id });
}

const spec = (name: string): ListenerSpec => ({
  name,
  filterSubject: `${space.events}.>`,
  maxDeliver: 3,
  backoffMs: [20],
  ackWaitMs: 2_000,
  maxAckPending: 1_000,
  concurrency: 4,
});

beforeAll(async () => {
  nc = await connect({ servers: '127.0.0.1:4222' });
  js = jetstream(nc);
  await ensureStream(await jetstreamManager(nc), eventStreamSpec(space), logger);
  testDb = await createTestDatabase('cli');
  database = createDatabase({ url: testDb.url, applicationName: 'cli', max: 4 });
  await applyLibSchema(database);
});

afterAll(async () => {
  await Promise.all(listeners.map((l) => l.drain()));
  await server?.drain();
  await database?.close();
  await testDb?.drop();
  await cleanup(nc);
  await nc?.close();
});

describe('chom CLI', () => {
  const poisonSite = randomUUID();
  let broken = true;
  const calls = { poisoned: 0, other: 0 };
  const events = [
    sampleEvent({ tenantId: 't_a', siteId: poisonSite }),
    sampleEvent({ tenantId: 't_a' }),
    sampleEvent({ tenantId: 't_b' }),
  ];

  it('consumers --max 0 exits 1 while a consumer is behind, 0 once caught up', async () => {
    const jsm = await jetstreamManager(nc);
    await ensureConsumer(jsm, space.stream, spec('poisoned'), logger);
    await ensureConsumer(jsm, space.stream, spec('other'), logger);
    await publish(events);
    const behind = await chom('consumers', '--max', '0', '--sample-ms', '0');
    expect(behind.code).toBe(1);
    expect(behind.body.over.sort()).toEqual(['other', 'poisoned']);
    expect(behind.body.consumers[0]).toMatchObject({ pending: 3, ackPending: 0, ackRate: null, catchUpSeconds: null });
    expect((await chom('consumers', '--max', '3', '--sample-ms', '0')).code).toBe(0);

    const handlers: Record<string, EventHandler> = {
      poisoned: async (e) => {
        if ((e.data as { siteId?: string }).siteId !== poisonSite) return;
        calls.poisoned += 1;
        if (broken) throw new Error('poisoned handler');
      },
      other: async (e) => {
        if ((e.data as { siteId?: string }).siteId === poisonSite) calls.other += 1;
      },
    };
    for (const [name, handle] of Object.entries(handlers))
      listeners.push(
        await startListener({
          js,
          stream: space.stream,
          spec: spec(name),
          handle,
          failures: pgFailureStore(database.sql),
          logger,
        }),
      );
    server = serveEndpoints(
      nc,
      space,
      failureEndpoints({
        service: 'audit',
        sql: database.sql,
        space,
        listeners: Object.entries(handlers).map(([name, handle]) => ({ name, handle })),
        logger,
      }),
      logger,
    );
    await expect
      .poll(async () => (await chom('consumers', '--max', '0', '--sample-ms', '0')).code, { timeout: 10_000 })
      .toBe(0);
    // Caught up and idle: the rate sampled over 200 ms is 0 and there is nothing to catch up.
    const idle = await chom('consumers', '--sample-ms', '200');
    expect(idle.body.sampleMs).toBe(200);
    expect(idle.body.consumers).toEqual([
      expect.objectContaining({ name: 'other', behind: 0, ackRate: 0, catchUpSeconds: 0 }),
      expect.objectContaining({ name: 'poisoned', behind: 0, ackRate: 0, catchUpSeconds: 0 }),
    ]);
  });

  it('failures list and retry: the poison event failed once, a retry runs only its listener, once', async () => {
    const open = await chom('failures', 'list', '--status', 'failed', '--service', 'audit');
    expect(open.body.total).toBe(1);
    const [failure] = open.body.items;
    expect(failure).toMatchObject({ consumer: 'poisoned', tenantId: 't_a', status: 'failed' });
    expect(calls).toEqual({ poisoned: 3, other: 1 });
    expect((await chom('failures', 'show', failure.id)).body.attempts).toHaveLength(3);

    broken = false;
    const retried = await chom('failures', 'retry', failure.id);
    expect(retried).toMatchObject({ code: 0, body: { outcome: 'resolved' } });
    expect(calls).toEqual({ poisoned: 4, other: 1 });
    expect((await chom('failures', 'list', '--status', 'failed', '--service', 'audit')).body.total).toBe(0);
  });

  it('events overview, recent and show read the event store', async () => {
    const overview = await chom('events', 'overview');
    expect(overview.body).toMatchObject({
      total: 3,
      today: 3,
      perType: { 'site.created': 3 },
      perTenant: { t_a: 2, t_b: 1 },
    });
    expect(overview.body.openFailures.audit).toBe(0);
    const recent = await chom('events', 'recent', '--tenant', 't_a', '--limit', '5');
    expect(recent.body.items.map((e: { id: string }) => e.id)).toEqual([events[1]?.id, events[0]?.id]);
    expect(recent.body.nextBefore).toBeNull();
    const page = await chom('events', 'recent', '--limit', '1');
    expect(page.body.items.map((e: { id: string }) => e.id)).toEqual([events[2]?.id]);
    const older = await chom('events', 'recent', '--limit', '5', '--before-seq', String(page.body.nextBefore));
    expect(older.body.items.map((e: { id: string }) => e.id)).toEqual([events[1]?.id, events[0]?.id]);
    expect((await chom('events', 'recent', '--since', new Date(Date.now() + 60_000).toISOString())).body.items).toEqual(
      [],
    );
    const bySeq = await chom('events', 'show', String(recent.body.items[0].seq));
    expect(bySeq.body.id).toBe(events[1]?.id);
    expect((await chom('events', 'show', events[2]?.id ?? '')).body.tenantId).toBe('t_b');
    await expect(chom('events', 'show', randomUUID())).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });

  it('replay rebuilds a projection through the service that owns it and follows it to the end', async () => {
    const applied = new Set<string>();
    const rebuilder = createProjectionRebuilder({
      projection: 'tenant-stats',
      sql: database.sql,
      js,
      jsm: await jetstreamManager(nc),
      space,
      consumer: 'audit',
      handle: async (event) => void applied.add(event.id),
      reset: async () => applied.clear(),
      logger,
    });
    const projections = serveEndpoints(nc, space, projectionEndpoints('metrics', [rebuilder]), logger);
    try {
      const dry = await chom('replay', 'tenant-stats', '--dry-run');
      expect(dry.body.rebuild).toMatchObject({ state: 'done', dryRun: true, total: 3, processed: 0 });
      expect(applied.size).toBe(0);
      expect((await chom('replay', 'tenant-stats', '--from-seq', '3', '--dry-run')).body.rebuild.total).toBe(1);
      const done = await chom('replay', 'tenant-stats');
      expect(done.code).toBe(0);
      expect(done.body.rebuild).toMatchObject({ state: 'done', dryRun: false, processed: 3, total: 3, position: 3 });
      expect(applied.size).toBe(3);
      expect((await chom('replay', 'tenant-stats', '--show-status')).body.rebuild.id).toBe(done.body.rebuild.id);
      await expect(chom('replay', 'sites')).rejects.toMatchObject({
        code: 'BAD_REQUEST',
        message: expect.stringContaining('audit-log, tenant-stats, backup-sites'),
      });
    } finally {
      await projections.drain();
      await rebuilder.stop();
    }
  });

  it('token signs a bearer token for the gateway', async () => {
    const { body } = await chom('token', '--tenant', 't_platform', '--role', 'platform-admin');
    expect(body.token.split('.')).toHaveLength(3);
  });
});
