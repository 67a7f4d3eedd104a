import { randomUUID } from 'node:crypto';
import { failureOps, type AnyEvent } from '@chom/contracts';
import { pgFailureStore } from '@chom/db';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  failureEndpoints,
  requestOperation,
  serveEndpoints,
  startListener,
  type EndpointServer,
  type EventHandler,
  type Listener,
} from '../src/index.js';
import { listenerFor, openHarness, publishEvents, tenant, type Harness } from './support.js';

let h: Harness;
const listeners: Listener[] = [];
let server: EndpointServer;
const ops = failureOps('svc-test');
// Two listeners on the same events: "poisoned" throws for the poison event while `broken`.
const calls = { poisoned: new Map<string, number>(), healthy: new Map<string, number>() };
let broken = true;
let poisonId = '';
let poisonSite = '';
const t = tenant();

const counting =
  (name: keyof typeof calls, fails: (e: AnyEvent) => boolean): EventHandler =>
  async (event) => {
    calls[name].set(event.id, (calls[name].get(event.id) ?? 0) + 1);
    if (fails(event)) throw new Error('poisoned handler');
  };

beforeAll(async () => {
  h = await openHarness('messaging_failure_ops');
  const poisoned = counting('poisoned', (e) => broken && (e.data as { siteId?: string }).siteId === poisonSite);
  const healthy = counting('healthy', () => false);
  const specs = {
    poisoned: await listenerFor(h, t, { name: `poisoned-${t}`, maxDeliver: 3, backoffMs: [20] }),
    healthy: await listenerFor(h, t, { name: `healthy-${t}`, maxDeliver: 3, backoffMs: [20] }),
  };
  for (const [spec, handle] of [
    [specs.poisoned, poisoned],
    [specs.healthy, healthy],
  ] as const) {
    listeners.push(
      await startListener({
        js: h.js,
        stream: h.space.stream,
        spec,
        handle,
        failures: pgFailureStore(h.database.sql),
        logger: h.logger,
      }),
    );
  }
  const endpoints = failureEndpoints({
    service: 'svc-test',
    sql: h.database.sql,
    space: h.space,
    listeners: [
      { name: specs.poisoned.name, handle: poisoned },
      { name: specs.healthy.name, handle: healthy },
    ],
    logger: h.logger,
  });
  server = serveEndpoints(h.nc, h.space, endpoints, h.logger);
});

afterAll(async () => {
  await Promise.all(listeners.map((l) => l.drain()));
  await server?.drain();
  await h.close();
});

const call = <K extends keyof typeof ops>(op: K, request: unknown) =>
  requestOperation(h.nc, h.space, ops[op], request as never);

describe('failure endpoints', () => {
  it('a poison event ends as one failure; a retry with the fault removed runs only that listener, once', async () => {
    poisonSite = randomUUID();
    const [poison, fine] = await publishEvents(h, t, [poisonSite, randomUUID()]);
    poisonId = poison?.id ?? '';
    const open = { filter: { status: 'failed', tenantId: t } };
    await expect.poll(async () => (await call('count', open)).count, { timeout: 5_000 }).toBe(1);
    await expect.poll(() => calls.healthy.get(fine?.id ?? '')).toBe(1);
    expect(calls.poisoned.get(poisonId)).toBe(3);
    expect(calls.healthy.get(poisonId)).toBe(1);

    const list = (await call('list', open)) as { items: { id: string; consumer: string }[]; total: number };
    expect(list.total).toBe(1);
    const failureId = list.items[0]?.id ?? '';
    expect(list.items[0]?.consumer).toBe(`poisoned-${t}`);
    const shown = (await call('get', { id: failureId })) as { attempts: unknown[]; payload: string };
    expect(shown.attempts).toHaveLength(3);
    expect(JSON.parse(shown.payload)).toMatchObject({ id: poisonId });

    broken = false;
    expect(await call('retry', { id: failureId })).toEqual({
      id: failureId,
      outcome: 'resolved',
      newFailureId: null,
      error: null,
    });
    expect(calls.poisoned.get(poisonId)).toBe(4);
    expect(calls.healthy.get(poisonId)).toBe(1);
    expect((await call('count', open)).count).toBe(0);
    expect(await call('get', { id: failureId })).toMatchObject({ status: 'resolved' });
    await expect(call('retry', { id: failureId })).rejects.toMatchObject({ code: 'CONFLICT' });
  });

  it('a retry that fails again is a new failure linked to the first; counts stay exact; resolve and prune', async () => {
    broken = true;
    poisonSite = randomUUID();
    const [poison] = await publishEvents(h, t, [poisonSite]);
    poisonId = poison?.id ?? '';
    const open = { filter: { status: 'failed', tenantId: t } };
    await expect.poll(async () => (await call('count', open)).count, { timeout: 5_000 }).toBe(1);
    const bulkDry = await call('retryMany', { filter: { tenantId: t }, dryRun: true });
    expect(bulkDry).toMatchObject({ matched: 1, dryRun: true, results: [] });
    const bulk = (await call('retryMany', { filter: { tenantId: t } })) as {
      results: { id: string; outcome: string; newFailureId: string }[];
    };
    expect(bulk.results).toHaveLength(1);
    const [first] = bulk.results;
    expect(first?.outcome).toBe('failed');
    expect((await call('count', open)).count).toBe(1);
    expect(await call('get', { id: first?.id })).toMatchObject({ status: 'retried' });
    expect(await call('get', { id: first?.newFailureId })).toMatchObject({ status: 'failed', retryOf: first?.id });

    const resolved = await call('resolve', { id: first?.newFailureId, note: 'handled by hand' });
    expect(resolved).toMatchObject({ status: 'resolved', resolutionNote: 'handled by hand' });
    expect((await call('count', open)).count).toBe(0);
    await expect(call('get', { id: randomUUID() })).rejects.toMatchObject({ code: 'NOT_FOUND' });

    const total = (await call('count', { filter: { tenantId: t } })).count;
    expect(total).toBe(3);
    expect(await call('prune', { before: new Date(Date.now() - 60_000).toISOString() })).toEqual({ deleted: 0 });
    expect(await call('prune', { before: new Date(Date.now() + 1_000).toISOString() })).toEqual({ deleted: 3 });
  });
});
