import { randomUUID } from 'node:crypto';
import { setTimeout as pause } from 'node:timers/promises';
import { BackupCreated, createEvent, eventSubject, failureOps, type AnyEvent } from '@chom/contracts';
import { sampleEvent } from '@chom/contracts/testing';
import {
  endpoint,
  ensureConsumer,
  ensureStream,
  eventStreamSpec,
  serveEndpoints,
  type EndpointServer,
  type ListenerSpec,
} from '@chom/messaging';
import { createTestSpace } from '@chom/messaging/testing';
import { captureLogger } from '@chom/telemetry/testing';
import { jetstream } from '@nats-io/jetstream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Role } from '../src/auth/index.js';
import type { GatewayInstance } from '../src/routes/types.js';
import { bearer, startHarness, type Harness } from './harness.js';

let h: Harness;
let app: GatewayInstance;
let stub: EndpointServer;
const { space: testSpace, cleanup } = createTestSpace();
const { logger } = captureLogger('admin-events');

const listener = (name: string, filterSubject: string): ListenerSpec => ({
  name,
  filterSubject,
  maxDeliver: 3,
  backoffMs: [20],
  ackWaitMs: 30_000,
  maxAckPending: 1_000,
  concurrency: 1,
});

const siteA1 = sampleEvent({ tenantId: 't_a' });
const backupA = createEvent(
  BackupCreated,
  { tenantId: 't_a', actor: { id: 'u_a', type: 'user' }, source: 'test', correlationId: randomUUID() },
  { backupId: randomUUID(), siteId: siteA1.data.siteId, backupType: 'full' },
);
const siteB = sampleEvent({ tenantId: 't_b' });
const siteA2 = sampleEvent({ tenantId: 't_a' });
const published = [siteA1, backupA, siteB, siteA2];

async function publish(events: AnyEvent[]): Promise<void> {
  const js = jetstream(h.nc);
  await Promise.all(
    events.map((e) => js.publish(eventSubject(testSpace, e.tenantId, e.type), JSON.stringify(e), { msgID: e.id })),
  );
}

beforeAll(async () => {
  h = await startHarness();
  await ensureStream(h.jsm, eventStreamSpec(testSpace), logger);
  await ensureConsumer(h.jsm, testSpace.stream, listener('all', `${testSpace.events}.>`), logger);
  await ensureConsumer(h.jsm, testSpace.stream, listener('rate', `${testSpace.events}.t_rate.>`), logger);
  for (const e of published) await publish([e]);
  // Two of the five listener services answer the failure count; the others are reported unavailable.
  const counts: Record<string, number> = { audit: 2, site: 1 };
  stub = serveEndpoints(
    h.nc,
    h.space,
    Object.entries(counts).map(([service, count]) => endpoint(failureOps(service).count, async () => ({ count }))),
    logger,
  );
  await h.nc.flush();
  app = h.extraApp({}, { ...testSpace, services: h.space.services });
});
afterAll(async () => {
  await stub?.drain();
  await cleanup(h.nc);
  await h?.close();
});

const admin = () => bearer('t_platform', 'platform-admin');
const get = async (url: string) => {
  const response = await app.inject({ method: 'GET', url, headers: await admin() });
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- response bodies, checked by the assertions
  return { status: response.statusCode, body: response.json<any>() };
};
const ids = (items: { id: string }[]) => items.map((e) => e.id);

const ROUTES = [
  '/api/v1/admin/events/overview',
  '/api/v1/admin/events',
  '/api/v1/admin/events/1',
  `/api/v1/admin/events/${siteA1.id}`,
  '/api/v1/admin/consumers?sampleMs=0',
];

describe('admin event store and consumer routes', () => {
  it('answer 401 without a token and 403 to every tenant role', async () => {
    for (const url of ROUTES) {
      const anonymous = await app.inject({ method: 'GET', url });
      expect(anonymous.statusCode, url).toBe(401);
      expect(anonymous.json().error.code).toBe('UNAUTHORIZED');
      for (const role of ['owner', 'admin', 'member', 'viewer'] satisfies Role[]) {
        const response = await app.inject({ method: 'GET', url, headers: await bearer('t_a', role) });
        expect(response.statusCode, `${role} ${url}`).toBe(403);
      }
    }
  });

  it("are in the OpenAPI document under the 'admin' tag", async () => {
    const doc = (await app.inject({ method: 'GET', url: '/docs/json' })).json();
    for (const path of [
      '/api/v1/admin/events/overview',
      '/api/v1/admin/events',
      '/api/v1/admin/events/{ref}',
      '/api/v1/admin/consumers',
    ])
      expect(doc.paths[path]?.get?.tags, path).toEqual(['admin']);
  });

  it('overview counts what was published, sums open failures and summarises the consumers', async () => {
    const { status, body } = await get('/api/v1/admin/events/overview');
    expect(status).toBe(200);
    expect(body).toMatchObject({
      stream: testSpace.stream,
      total: 4,
      today: 4,
      firstSeq: 1,
      lastSeq: 4,
      perType: { 'site.created': 3, 'backup.created': 1 },
      perTenant: { t_a: 3, t_b: 1 },
    });
    expect(body.openFailures).toEqual({
      total: 3,
      byService: { audit: 2, site: 1 },
      unavailable: expect.arrayContaining(['backup', 'metrics', 'notification']),
    });
    expect(body.openFailures.unavailable).toHaveLength(3);
    // Only the durable consumers: the ordered consumers the event store reads with are not listeners.
    expect(body.consumers).toEqual([
      { name: 'all', behind: 4, lagSeconds: expect.any(Number) },
      { name: 'rate', behind: 0, lagSeconds: 0 },
    ]);
  });

  it('lists recent events newest first, filtered by tenant, type and time, paged by sequence', async () => {
    const all = await get('/api/v1/admin/events');
    expect(all.status).toBe(200);
    expect(ids(all.body.items)).toEqual([siteA2.id, siteB.id, backupA.id, siteA1.id]);
    expect(all.body.nextBefore).toBeNull();
    expect(all.body.items[0]).toMatchObject({ seq: 4, tenantId: 't_a', type: 'site.created', event: siteA2 });

    const first = await get('/api/v1/admin/events?limit=3');
    expect(ids(first.body.items)).toEqual([siteA2.id, siteB.id, backupA.id]);
    expect(first.body.nextBefore).toBe(2);
    const next = await get(`/api/v1/admin/events?limit=3&before=${first.body.nextBefore}`);
    expect(next.body).toMatchObject({ items: [{ id: siteA1.id, seq: 1 }], nextBefore: null });

    expect(ids((await get('/api/v1/admin/events?tenant=t_a')).body.items)).toEqual([siteA2.id, backupA.id, siteA1.id]);
    expect(ids((await get('/api/v1/admin/events?type=backup.created')).body.items)).toEqual([backupA.id]);
    expect(ids((await get('/api/v1/admin/events?tenant=t_b&type=site.created')).body.items)).toEqual([siteB.id]);
    const future = new Date(Date.now() + 60_000).toISOString();
    expect((await get(`/api/v1/admin/events?since=${encodeURIComponent(future)}`)).body).toEqual({
      items: [],
      nextBefore: null,
    });
    // Times have millisecond precision: events published in the same millisecond are all "since" it.
    const since: string = all.body.items[1].time;
    const expected = ids(all.body.items.filter((item: { time: string }) => item.time >= since));
    expect(expected.slice(0, 2)).toEqual([siteA2.id, siteB.id]);
    expect(ids((await get(`/api/v1/admin/events?since=${encodeURIComponent(since)}`)).body.items)).toEqual(expected);

    expect((await get('/api/v1/admin/events?type=site.*')).status).toBe(400);
    expect((await get('/api/v1/admin/events?tenant=t_a.>')).status).toBe(400);
  });

  it('shows one event by id or by sequence, and answers 404 EVENT_NOT_FOUND when there is none', async () => {
    const byId = await get(`/api/v1/admin/events/${backupA.id}`);
    expect(byId).toMatchObject({
      status: 200,
      body: { seq: 2, id: backupA.id, type: 'backup.created', event: backupA },
    });
    const bySeq = await get('/api/v1/admin/events/3');
    expect(bySeq).toMatchObject({ status: 200, body: { id: siteB.id, tenantId: 't_b' } });
    expect(bySeq.body.subject).toBe(eventSubject(testSpace, 't_b', 'site.created'));

    for (const ref of [randomUUID(), '99']) {
      const missing = await get(`/api/v1/admin/events/${ref}`);
      expect(missing.status, ref).toBe(404);
      expect(missing.body.error.code).toBe('EVENT_NOT_FOUND');
    }
    expect((await get('/api/v1/admin/events/not-a-ref')).status).toBe(400);
  });

  it('shows a consumer behind in `over` past max (status 200) and a positive rate while it acks', async () => {
    const behind = await get('/api/v1/admin/consumers?max=3&sampleMs=0');
    expect(behind.status).toBe(200);
    expect(behind.body).toMatchObject({ stream: testSpace.stream, sampleMs: 0, max: 3, over: ['all'] });
    expect(behind.body.consumers[0]).toMatchObject({
      name: 'all',
      pending: 4,
      ackPending: 0,
      behind: 4,
      ackRate: null,
      catchUpSeconds: null,
    });
    expect((await get('/api/v1/admin/consumers?max=4&sampleMs=0')).body.over).toEqual([]);

    const backlog = Array.from({ length: 1_000 }, () => sampleEvent({ tenantId: 't_rate' }));
    for (let i = 0; i < backlog.length; i += 100) await publish(backlog.slice(i, i + 100));
    const consumer = await jetstream(h.nc).consumers.get(testSpace.stream, 'rate');
    let acking = true;
    // A steady worker: one ack every few milliseconds, so every sample window sees some.
    const worker = (async () => {
      while (acking) {
        const m = await consumer.next({ expires: 1_000 });
        if (!m) continue;
        await m.ackAck();
        await pause(5);
      }
    })();
    try {
      let rate: { name: string; behind: number; ackRate: number | null; catchUpSeconds: number | null } | undefined;
      await expect
        .poll(
          async () => {
            const { body } = await get('/api/v1/admin/consumers?max=10&sampleMs=300');
            expect(body.over).toContain('all');
            rate = body.consumers[1];
            return rate?.ackRate ?? 0;
          },
          { timeout: 20_000 },
        )
        .toBeGreaterThan(0);
      expect(rate?.name).toBe('rate');
      // Still far from done (1,000 acks take seconds): the estimate is the backlog over the rate.
      expect(rate?.behind).toBeGreaterThan(0);
      expect(rate?.catchUpSeconds).toBeCloseTo((rate?.behind ?? 0) / (rate?.ackRate ?? 1), 0);
    } finally {
      acking = false;
      await worker;
    }
  });

  it('finds sparse events far back and pages through more events than one read takes', async () => {
    // The 1,000 t_rate events came after the first four: t_a's lie 1,000 sequences back.
    const sparse = await get('/api/v1/admin/events?tenant=t_a');
    expect(sparse.body).toEqual({ items: expect.any(Array), nextBefore: null });
    expect(ids(sparse.body.items)).toEqual([siteA2.id, backupA.id, siteA1.id]);

    const seen: number[] = [];
    let before: number | null = null;
    do {
      const page = await get(`/api/v1/admin/events?limit=300${before === null ? '' : `&before=${before}`}`);
      seen.push(...page.body.items.map((e: { seq: number }) => e.seq));
      before = page.body.nextBefore;
    } while (before !== null);
    expect(seen).toEqual(Array.from({ length: 1_004 }, (_, i) => 1_004 - i));
  });
});
