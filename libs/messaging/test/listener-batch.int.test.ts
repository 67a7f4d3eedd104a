import { randomUUID } from 'node:crypto';
import { countFailures, listFailures, pgFailureStore } from '@chom/db';
import { createMetricsRegistry } from '@chom/telemetry';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startListener, type BatchHandler, type Listener, type ListenerSpec } from '../src/index.js';
import { listenerFor, openHarness, pendingOf, publishEvents, tenant, type Harness } from './support.js';

let h: Harness;
const listeners: Listener[] = [];

beforeAll(async () => {
  h = await openHarness('messaging_batch');
});

afterAll(async () => {
  await Promise.all(listeners.map((l) => l.drain()));
  await h.close();
});

async function listenInBatches(spec: ListenerSpec, handleBatch: BatchHandler) {
  const registry = createMetricsRegistry('test', { defaultMetrics: false });
  const listener = await startListener({
    js: h.js,
    stream: h.space.stream,
    spec,
    handleBatch,
    failures: pgFailureStore(h.database.sql),
    logger: h.logger,
    registry,
  });
  listeners.push(listener);
  return { listener, registry };
}

describe('startListener with a batch handler', () => {
  it('hands over batches of different aggregates, each aggregate in stream order, each event once', async () => {
    const t = tenant();
    const spec = await listenerFor(h, t, { concurrency: 2, batchSize: 32 });
    const sites = Array.from({ length: 40 }, () => randomUUID());
    // Five events per site, interleaved: site order 0..39, five rounds.
    const ids = [0, 1, 2, 3, 4].flatMap(() => sites);
    const events = await publishEvents(h, t, ids);
    const batches: { siteId: string; seq: number; id: string }[][] = [];
    const { registry } = await listenInBatches(spec, async (items) => {
      await new Promise((resolve) => setTimeout(resolve, 5));
      batches.push(
        items.map(({ event, ctx }) => ({
          siteId: (event.data as { siteId: string }).siteId,
          seq: ctx.streamSequence,
          id: event.id,
        })),
      );
    });

    await expect.poll(() => batches.flat().length, { timeout: 10_000 }).toBe(events.length);
    const handled = batches.flat();
    expect(new Set(handled.map((e) => e.id)).size).toBe(events.length);
    for (const batch of batches) expect(new Set(batch.map((e) => e.siteId)).size).toBe(batch.length);
    for (const site of sites) {
      const seqs = handled.filter((e) => e.siteId === site).map((e) => e.seq);
      expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
    }
    expect(Math.max(...batches.map((b) => b.length))).toBeGreaterThan(1);
    expect(Math.max(...batches.map((b) => b.length))).toBeLessThanOrEqual(32);
    await expect.poll(() => pendingOf(h, spec.name)).toBe(0);
    // Every handler call is counted once, with its size.
    const sizes = (await registry.getSingleMetric('chom_consumer_batch_size')?.get())?.values ?? [];
    const of = (name: string) =>
      sizes.find((v) => (v as { metricName?: string }).metricName === name && v.labels.consumer === spec.name)?.value;
    expect(of('chom_consumer_batch_size_count')).toBe(batches.length);
    expect(of('chom_consumer_batch_size_sum')).toBe(events.length);
  });

  it('falls back to one event at a time when a batch fails: only the poison event is retried and recorded', async () => {
    const t = tenant();
    const spec = await listenerFor(h, t, { concurrency: 1, batchSize: 16, maxDeliver: 2, backoffMs: [20] });
    const events = await publishEvents(
      h,
      t,
      Array.from({ length: 12 }, () => randomUUID()),
    );
    const poison = events[5]?.id;
    const committed: string[] = [];
    const sizes: number[] = [];
    const { registry } = await listenInBatches(spec, async (items) => {
      sizes.push(items.length);
      if (items.some(({ event }) => event.id === poison)) throw new Error('poison');
      committed.push(...items.map(({ event }) => event.id));
    });

    await expect.poll(() => countFailures(h.database.sql, { consumer: spec.name }), { timeout: 5_000 }).toBe(1);
    await expect.poll(() => pendingOf(h, spec.name)).toBe(0);
    expect([...committed].sort()).toEqual(
      events
        .filter((e) => e.id !== poison)
        .map((e) => e.id)
        .sort(),
    );
    const [failure] = await listFailures(h.database.sql, { consumer: spec.name, limit: 5 });
    expect(failure).toMatchObject({ eventId: poison, errorMessage: 'poison', status: 'failed' });
    expect(failure?.attempts).toHaveLength(2);
    const consumed = await registry.getSingleMetricAsString('chom_events_consumed_total');
    expect(consumed).toMatch(/outcome="ok"[^\n]* 11/);
    expect(consumed).toMatch(/outcome="failed"[^\n]* 1/);
  });
});
