import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { eventSubject, type AnyEvent } from '@chom/contracts';
import { countFailures, listFailures, pgFailureStore } from '@chom/db';
import { createMetricsRegistry, currentContext } from '@chom/telemetry';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PermanentError, startListener, type EventHandler, type Listener, type ListenerSpec } from '../src/index.js';
import { listenerFor, openHarness, pendingOf, publishEvents, tenant, type Harness } from './support.js';

let h: Harness;
const listeners: Listener[] = [];

beforeAll(async () => {
  h = await openHarness('messaging_listener');
});

afterAll(async () => {
  await Promise.all(listeners.map((l) => l.drain()));
  await h.close();
});

async function listen(spec: ListenerSpec, handle: EventHandler, extra: { accepts?: (type: string) => boolean } = {}) {
  const registry = createMetricsRegistry('test', { defaultMetrics: false });
  const listener = await startListener({
    js: h.js,
    stream: h.space.stream,
    spec,
    handle,
    failures: pgFailureStore(h.database.sql),
    logger: h.logger,
    registry,
    ...extra,
  });
  listeners.push(listener);
  return { listener, registry };
}

describe('startListener', () => {
  it('retries a failing handler with its delays, then records one failure with every attempt', async () => {
    const t = tenant();
    const spec = await listenerFor(h, t, { maxDeliver: 3, backoffMs: [150, 300] });
    const calls: { at: number; deliveryCount: number }[] = [];
    const { registry } = await listen(spec, async (_event, ctx) => {
      calls.push({ at: Date.now(), deliveryCount: ctx.deliveryCount });
      throw new Error(`boom ${ctx.deliveryCount}`);
    });
    const traceparent = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
    const [event] = await publishEvents(h, t, [randomUUID()], { traceparent });

    await expect.poll(() => countFailures(h.database.sql, { consumer: spec.name }), { timeout: 5_000 }).toBe(1);
    expect(calls.map((c) => c.deliveryCount)).toEqual([1, 2, 3]);
    expect((calls[1]?.at ?? 0) - (calls[0]?.at ?? 0)).toBeGreaterThanOrEqual(145);
    expect((calls[2]?.at ?? 0) - (calls[1]?.at ?? 0)).toBeGreaterThanOrEqual(295);

    const [failure] = await listFailures(h.database.sql, { consumer: spec.name, limit: 10 });
    expect(failure).toMatchObject({
      eventId: event?.id,
      eventType: 'site.created',
      tenantId: t,
      errorCode: 'HANDLER_FAILED',
      errorMessage: 'boom 3',
      traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
      status: 'failed',
    });
    expect(failure?.attempts.map((a) => a.error)).toEqual(['Error: boom 1', 'Error: boom 2', 'Error: boom 3']);
    expect(failure?.errorStack).toContain('boom 3');
    expect(JSON.parse(failure?.payload ?? '{}')).toEqual(event);
    await expect.poll(() => pendingOf(h, spec.name)).toBe(0);
    await sleep(400); // nothing comes back after the term
    expect(calls).toHaveLength(3);
    const consumed = await registry.getSingleMetricAsString('chom_events_consumed_total');
    expect(consumed).toMatch(/outcome="retry"[^\n]* 2/);
    expect(consumed).toMatch(/outcome="failed"[^\n]* 1/);
    expect(await registry.getSingleMetricAsString('chom_failures_open')).toMatch(
      new RegExp(`chom_failures_open\\{consumer="${spec.name}"[^}]*\\} 1`),
    );
    expect(await registry.getSingleMetricAsString('chom_consumer_pending')).toMatch(
      new RegExp(`chom_consumer_pending\\{consumer="${spec.name}"[^}]*\\} 0`),
    );
  });

  it('keeps the message until its failure is recorded, however long recording fails', async () => {
    const t = tenant();
    const spec = await listenerFor(h, t, { maxDeliver: 1, backoffMs: [30], ackWaitMs: 600 });
    const real = pgFailureStore(h.database.sql);
    let refusals = 3;
    const listener = await startListener({
      js: h.js,
      stream: h.space.stream,
      spec,
      handle: async () => {
        throw new Error('always');
      },
      failures: { record: async (f) => (refusals-- > 0 ? Promise.reject(new Error('db down')) : real.record(f)) },
      logger: h.logger,
    });
    listeners.push(listener);
    await publishEvents(h, t, [randomUUID()]);
    await expect.poll(() => countFailures(h.database.sql, { consumer: spec.name }), { timeout: 5_000 }).toBe(1);
    expect(refusals).toBe(-1);
    await expect.poll(() => pendingOf(h, spec.name)).toBe(0);
    expect(listener.stats().deadLettered).toBe(1);
  });

  it('dead-letters invalid payloads and permanent errors at once', async () => {
    const t = tenant();
    const spec = await listenerFor(h, t, { maxDeliver: 5, backoffMs: [20] });
    let calls = 0;
    await listen(spec, async () => {
      calls += 1;
      throw new PermanentError('SITE_GONE', 'the site no longer exists');
    });
    await h.js.publish(eventSubject(h.space, t, 'site.created'), 'not json');
    await h.js.publish(
      eventSubject(h.space, t, 'site.created'),
      JSON.stringify({ id: 'x', type: 'site.created', tenantId: t }),
    );
    await publishEvents(h, t, [randomUUID()]);

    await expect.poll(() => countFailures(h.database.sql, { consumer: spec.name }), { timeout: 5_000 }).toBe(3);
    const failures = await listFailures(h.database.sql, { consumer: spec.name, limit: 10 });
    expect(failures.map((f) => f.errorCode).sort()).toEqual(['INVALID_JSON', 'SITE_GONE', 'VALIDATION_FAILED']);
    expect(failures.every((f) => f.attempts.length === 1)).toBe(true);
    expect(failures.find((f) => f.errorCode === 'VALIDATION_FAILED')).toMatchObject({
      eventId: 'x',
      tenantId: t,
      payload: expect.stringContaining('"x"'),
    });
    expect(calls).toBe(1);
    await expect.poll(() => pendingOf(h, spec.name)).toBe(0);
  });

  it('acknowledges and skips event types the listener does not accept', async () => {
    const t = tenant();
    const spec = await listenerFor(h, t);
    let calls = 0;
    const { listener } = await listen(spec, async () => void (calls += 1), {
      accepts: (type) => type === 'backup.completed',
    });
    await publishEvents(h, t, [randomUUID(), randomUUID()]);
    await expect.poll(() => listener.stats().skipped).toBe(2);
    await expect.poll(() => pendingOf(h, spec.name)).toBe(0);
    expect(calls).toBe(0);
  });

  it('keeps each aggregate in stream order across retries while aggregates run concurrently', async () => {
    const t = tenant();
    const spec = await listenerFor(h, t, { concurrency: 8, backoffMs: [30], maxDeliver: 5 });
    const aggregates = Array.from({ length: 50 }, () => randomUUID());
    const siteIds = Array.from({ length: 20 }, () => aggregates).flat(); // round-robin: 1000 events
    const handled = new Map<string, number[]>();
    const failedOnce = new Set<string>();
    let running = 0;
    let maxRunning = 0;
    let contextOk = true;
    const { listener } = await listen(spec, async (event: AnyEvent, ctx) => {
      running += 1;
      maxRunning = Math.max(maxRunning, running);
      try {
        if (currentContext().eventId !== event.id || currentContext().tenantId !== t) contextOk = false;
        await sleep(Math.random() * 4);
        const index = Number(/^e(\d+)\./.exec((event.data as { domain: string }).domain)?.[1]);
        if (ctx.deliveryCount === 1 && index % 7 === 3) {
          failedOnce.add(event.id);
          throw new Error('first try fails');
        }
        const siteId = (event.data as { siteId: string }).siteId;
        handled.set(siteId, [...(handled.get(siteId) ?? []), index]);
      } finally {
        running -= 1;
      }
    });
    await publishEvents(h, t, siteIds);

    await expect.poll(() => listener.stats().acked, { timeout: 30_000 }).toBe(1_000);
    expect(failedOnce.size).toBeGreaterThan(100);
    for (const siteId of aggregates) {
      const order = handled.get(siteId) ?? [];
      expect(order).toHaveLength(20);
      expect(order).toEqual([...order].sort((a, b) => a - b));
    }
    expect(maxRunning).toBeGreaterThan(1);
    expect(maxRunning).toBeLessThanOrEqual(8);
    expect(contextOk).toBe(true);
    expect(await countFailures(h.database.sql, { consumer: spec.name })).toBe(0);
    await expect.poll(() => pendingOf(h, spec.name)).toBe(0);
  });

  it('keeps the lease of a handler that runs longer than ack_wait, and of the events queued behind it', async () => {
    const t = tenant();
    const spec = await listenerFor(h, t, { ackWaitMs: 600, concurrency: 2 });
    const deliveries: string[] = [];
    const siteId = randomUUID();
    const { listener } = await listen(spec, async (event, ctx) => {
      deliveries.push(`${(event.data as { domain: string }).domain}#${ctx.deliveryCount}`);
      if (deliveries.length === 1) await sleep(2_000);
    });
    await publishEvents(h, t, [siteId, siteId]);
    await expect.poll(() => listener.stats().acked, { timeout: 6_000 }).toBe(2);
    expect(deliveries).toEqual(['e0.example.com#1', 'e1.example.com#1']);
    await expect.poll(() => pendingOf(h, spec.name)).toBe(0);
  });

  it('drains: finishes the handler in flight, acks it, and releases what had not started', async () => {
    const t = tenant();
    const spec = await listenerFor(h, t, { concurrency: 1 });
    const done: string[] = [];
    let started!: () => void;
    const firstStarted = new Promise<void>((resolve) => (started = resolve));
    const { listener } = await listen(spec, async (event) => {
      started();
      await sleep(300);
      done.push(event.id);
    });
    const events = await publishEvents(h, t, [randomUUID(), randomUUID(), randomUUID()]);
    await firstStarted;
    await listener.drain();
    expect(done).toEqual([events[0]?.id]);
    expect(listener.ready()).toBe(false);

    const second = await listen(spec, async (event) => void done.push(event.id));
    await expect.poll(() => done.length, { timeout: 5_000 }).toBe(3);
    expect(new Set(done)).toEqual(new Set(events.map((e) => e.id)));
    await expect.poll(() => pendingOf(h, spec.name)).toBe(0);
    expect(second.listener.ready()).toBe(true);
  });
});
