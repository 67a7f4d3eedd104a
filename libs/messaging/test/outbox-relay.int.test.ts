import type { JetStreamClient } from '@nats-io/jetstream';
import { eventSubject, type SubjectSpace } from '@chom/contracts';
import { sampleEvent } from '@chom/contracts/testing';
import { createDatabase, enqueueEvents } from '@chom/db';
import { createMetricsRegistry } from '@chom/telemetry';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { publishBatch, startOutboxRelay, type OutboxRelay, type OutboxRelayOptions } from '../src/index.js';
import { listenerFor, openHarness, tenant, type Harness } from './support.js';

let h: Harness;
const relays: OutboxRelay[] = [];

beforeAll(async () => {
  h = await openHarness('messaging_relay');
});

afterAll(async () => {
  await Promise.all(relays.map((r) => r.stop()));
  await h.close();
});

async function relay(options: Partial<OutboxRelayOptions> = {}) {
  const started = await startOutboxRelay({
    sql: h.database.sql,
    js: h.js,
    logger: h.logger,
    retryBackoffMs: [20, 200],
    ...options,
  });
  relays.push(started);
  return started;
}

async function stopAll() {
  await Promise.all(relays.splice(0).map((r) => r.stop()));
}

/** Commits `count` events of one tenant to the outbox, `perTx` per transaction. */
async function commitEvents(t: string, count: number, space: Pick<SubjectSpace, 'events'> = h.space, perTx = 25) {
  const events = Array.from({ length: count }, (_, i) => sampleEvent({ tenantId: t, domain: `e${i}.example.com` }));
  for (let i = 0; i < events.length; i += perTx) {
    await h.database.db.transaction((tx) =>
      enqueueEvents(tx, space, events.slice(i, i + perTx), {
        traceparent: `00-${'a'.repeat(32)}-${'b'.repeat(16)}-01`,
      }),
    );
  }
  return events;
}

async function inStream(t: string): Promise<number> {
  const info = await h.jsm.streams.info(h.space.stream, { subjects_filter: `${h.space.events}.${t}.>` });
  return Object.values(info.state.subjects ?? {}).reduce((a, b) => a + b, 0);
}

async function pendingRows(): Promise<number> {
  const [row] = await h.database.sql<{ n: number }[]>`select count(*)::int as n from outbox where sent_at is null`;
  return row?.n ?? 0;
}

describe('startOutboxRelay', () => {
  it('publishes committed rows once, woken by the commit, with the event id as Nats-Msg-Id and the row headers', async () => {
    const t = tenant();
    const registry = createMetricsRegistry('test', { defaultMetrics: false });
    await relay({ pollIntervalMs: 60_000, registry });
    await h.database.db
      .transaction(async (tx) => {
        await enqueueEvents(tx, h.space, [sampleEvent({ tenantId: t })]);
        throw new Error('rolled back');
      })
      .catch(() => undefined);
    const events = await commitEvents(t, 60);

    await expect.poll(() => inStream(t), { timeout: 5_000 }).toBe(60);
    await expect.poll(pendingRows).toBe(0);
    const last = await h.jsm.streams.getMessage(h.space.stream, {
      last_by_subj: eventSubject(h.space, t, 'site.created'),
    });
    expect(last?.header.get('Nats-Msg-Id')).toBe(events[59]?.id);
    expect(last?.header.get('traceparent')).toMatch(/^00-a{32}-b{16}-01$/);
    expect(last?.json()).toEqual(events[59]);
    expect(await registry.getSingleMetricAsString('chom_events_published_total')).toMatch(/ 60$/m);
    expect(await registry.getSingleMetricAsString('chom_outbox_backlog')).toMatch(/ 0$/m);
    expect(await registry.getSingleMetricAsString('chom_events_published_total')).toMatch(
      /type="site.created"[^\n]* 60$/m,
    );
    expect(await registry.getSingleMetricAsString('chom_event_dispatch_duration_seconds')).toMatch(/_count[^\n]* 60$/m);
    expect(await registry.getSingleMetricAsString('chom_outbox_oldest_age_seconds')).toMatch(/ 0$/m);
    await stopAll();
  });

  it('is woken by the NOTIFY of a process without a relay', async () => {
    const t = tenant();
    await relay({ pollIntervalMs: 60_000 });
    const other = createDatabase({ url: h.databaseUrl, applicationName: 'messaging-relay-other', max: 1 });
    try {
      await other.db.transaction((tx) => enqueueEvents(tx, h.space, [sampleEvent({ tenantId: t })]));
      await expect.poll(() => inStream(t), { timeout: 5_000 }).toBe(1);
    } finally {
      await other.close();
      await stopAll();
    }
  });

  it('one relay leads: a standby hands its own rows to the leader at once and takes over when it stops', async () => {
    const t = tenant();
    const leader = await relay({ pollIntervalMs: 60_000 });
    // The other process: its own pool, its own relay, started second so it stands by.
    const other = createDatabase({ url: h.databaseUrl, applicationName: 'messaging-relay-standby', max: 3 });
    const standby = await startOutboxRelay({ sql: other.sql, js: h.js, logger: h.logger, pollIntervalMs: 200 });
    try {
      const commitOnOther = (n: number) =>
        other.db.transaction((tx) =>
          enqueueEvents(
            tx,
            h.space,
            Array.from({ length: n }, () => sampleEvent({ tenantId: t })),
          ),
        );
      await commitOnOther(2);
      // Well before any poll of the leader (60 s): the standby notified it.
      await expect.poll(() => inStream(t), { timeout: 2_000 }).toBe(2);

      await leader.stop();
      relays.splice(relays.indexOf(leader), 1);
      await commitOnOther(3);
      await expect.poll(() => inStream(t), { timeout: 3_000 }).toBe(5);
      await expect.poll(pendingRows).toBe(0);
    } finally {
      await standby.stop();
      await other.close();
      await stopAll();
    }
  });

  it('keeps publishing after its leader connection is killed', async () => {
    const t = tenant();
    await relay({ pollIntervalMs: 100, retryBackoffMs: [20, 200] });
    await commitEvents(t, 5);
    await expect.poll(() => inStream(t), { timeout: 5_000 }).toBe(5);
    // The session holding the relay lock of this test's database (other files' relays hold theirs).
    const killed = await h.database.sql<{ pid: number }[]>`
      select pid from pg_locks
      where locktype = 'advisory' and granted and pid <> pg_backend_pid()
        and database = (select oid from pg_database where datname = current_database())`;
    expect(killed).toHaveLength(1);
    await h.database.sql`select pg_terminate_backend(${killed[0]!.pid})`;
    await commitEvents(t, 5);
    await expect.poll(() => inStream(t), { timeout: 5_000 }).toBe(10);
    // Marked sent just after the stream acknowledged them.
    await expect.poll(pendingRows).toBe(0);
    await stopAll();
  });

  it('publishes each event once with two relays running at once', async () => {
    const t = tenant();
    await Promise.all([relay({ batchSize: 20 }), relay({ batchSize: 20 })]);
    await commitEvents(t, 300, h.space, 30);
    await expect.poll(pendingRows, { timeout: 10_000 }).toBe(0);
    expect(await inStream(t)).toBe(300);
    await stopAll();
  });

  it('does not publish twice when a publish succeeded but marking it sent did not', async () => {
    const t = tenant();
    await commitEvents(t, 40);
    const rows = await h.database.sql<
      { id: string; eventId: string; subject: string; event: unknown; headers: Record<string, string> }[]
    >`
      select id::text as id, event_id::text as "eventId", subject, event, headers from outbox where sent_at is null order by outbox.id`;
    const published = await publishBatch(
      h.js,
      rows.map((r) => ({ ...r, attempts: 0 })),
      5_000,
    );
    expect(published.sent).toHaveLength(40);
    expect(await inStream(t)).toBe(40);

    await relay();
    await expect.poll(pendingRows, { timeout: 5_000 }).toBe(0);
    expect(await inStream(t)).toBe(40);
    await stopAll();
  });

  it('backs off on NATS errors and publishes every row once NATS takes them, in order', async () => {
    const t = tenant();
    // NATS is unreachable for the relay's first few batches: every publish in them fails.
    let batches = 0;
    let lastCall = 0;
    const flaky = new Proxy(h.js, {
      get(target, property, receiver) {
        if (property !== 'publish') return Reflect.get(target, property, receiver) as unknown;
        return (...args: Parameters<JetStreamClient['publish']>) => {
          if (Date.now() - lastCall > 5) batches += 1; // the calls of one batch come together
          lastCall = Date.now();
          return batches <= 3 ? Promise.reject(new Error('nats unavailable')) : target.publish(...args);
        };
      },
    });
    const registry = createMetricsRegistry('test', { defaultMetrics: false });
    await relay({ js: flaky, registry, batchSize: 10 });
    const events = await commitEvents(t, 30);

    await expect.poll(pendingRows, { timeout: 5_000 }).toBe(0);
    expect(await inStream(t)).toBe(30);
    const [row] = await h.database.sql<{ attempts: number; last_error: string }[]>`
      select attempts, last_error from outbox where event_id = ${events[0]?.id ?? ''}`;
    expect(row?.attempts).toBeGreaterThan(0);
    expect(row?.last_error).toBe('nats unavailable');
    expect(await registry.getSingleMetricAsString('chom_outbox_publish_failures_total')).toMatch(/ [1-9]\d*$/m);
    const spec = await listenerFor(h, t, { name: `order-${t}` });
    const fetched = await (
      await h.js.consumers.get(h.space.stream, spec.name)
    ).fetch({ max_messages: 30, expires: 2_000 });
    const order: string[] = [];
    for await (const msg of fetched) {
      order.push(msg.json<{ id: string }>().id);
      msg.ack();
      if (order.length === 30) break;
    }
    expect(order).toEqual(events.map((e) => e.id));
    await stopAll();
  });

  it('keeps rows pending while their subject has no stream, then publishes them', async () => {
    const t = tenant();
    const orphan = { events: `${h.space.events}x` };
    await relay({ publishTimeoutMs: 500 });
    await commitEvents(t, 3, orphan);
    await expect
      .poll(
        async () =>
          (await h.database.sql<{ n: number }[]>`select max(attempts)::int as n from outbox where sent_at is null`)[0]
            ?.n ?? 0,
      )
      .toBeGreaterThan(0);
    expect(await pendingRows()).toBe(3);
    const { config } = await h.jsm.streams.info(h.space.stream);
    await h.jsm.streams.update(h.space.stream, { ...config, subjects: [...config.subjects, `${orphan.events}.>`] });
    await expect.poll(pendingRows, { timeout: 5_000 }).toBe(0);
    await stopAll();
  });

  it('stop() finishes the batch in hand: every row marked sent is on the stream and no other', async () => {
    const t = tenant();
    await commitEvents(t, 200, h.space, 50);
    await relay({ batchSize: 25 });
    await expect.poll(() => inStream(t)).toBeGreaterThan(0);
    await stopAll();
    const [sent] = await h.database.sql<
      { n: number }[]
    >`select count(*)::int as n from outbox where sent_at is not null and subject like ${`%.${t}.%`}`;
    expect(await inStream(t)).toBe(sent?.n);
    await relay();
    await expect.poll(pendingRows, { timeout: 5_000 }).toBe(0);
    expect(await inStream(t)).toBe(200);
    await stopAll();
  });

  it('prunes sent rows older than the retention window, never pending ones', async () => {
    const t = tenant();
    await commitEvents(t, 5);
    await relay({ retainSentMs: 0, pruneIntervalMs: 0, pollIntervalMs: 20 });
    await expect
      .poll(async () => (await h.database.sql<{ n: number }[]>`select count(*)::int as n from outbox`)[0]?.n, {
        timeout: 5_000,
      })
      .toBe(0);
    expect(await inStream(t)).toBe(5);
    await stopAll();
  });
});
