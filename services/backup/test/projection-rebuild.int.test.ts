import type { AnyEvent } from '@chom/contracts';
import type { DbExecutor } from '@chom/db';
import type { ProjectionRebuilder } from '@chom/messaging';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { allModelRows } from '../src/db/site-model.js';
import { sitesRebuilder } from '../src/site-model/projection.js';
import { startHarness, type Harness } from './harness.js';
import { lifeOf } from './site-events.js';

// The site read model rebuilt from the stream while the live backup-sites listener goes on,
// compared with what the events say it must be.
let h: Harness;
let rebuilder: ProjectionRebuilder;
const published: { event: AnyEvent; seq: number }[] = [];

/** Holds the replay's transactions back once `allowance` is spent, until opened. */
const gate = {
  allowance: Infinity,
  release: () => {},
  held: Promise.resolve(),
  closeAfter(n: number) {
    this.allowance = n;
    this.held = new Promise<void>((resolve) => (this.release = resolve));
  },
  open() {
    this.allowance = Infinity;
    this.release();
  },
};

beforeAll(async () => {
  h = await startHarness();
  const db = new Proxy(h.database.db, {
    get(target, property, receiver) {
      if (property !== 'transaction') return Reflect.get(target, property, receiver) as unknown;
      return async (run: (tx: unknown) => Promise<unknown>) => {
        if (gate.allowance <= 0) await gate.held;
        gate.allowance -= 1;
        return target.transaction(run);
      };
    },
  }) as DbExecutor;
  rebuilder = sitesRebuilder({ sql: h.database.sql, db, js: h.js, jsm: h.jsm, space: h.space, logger: h.logger });
});
afterAll(async () => {
  gate.open();
  await rebuilder?.stop();
  await h?.close();
});

/** Publishes one site's events in order, different sites' interleaved. */
async function publish(lives: AnyEvent[][]): Promise<void> {
  for (let step = 0; lives.some((l) => l[step]); step += 1) {
    for (const event of lives.map((l) => l[step]).filter((e): e is AnyEvent => e !== undefined))
      published.push({ event, seq: await h.publish(event) });
  }
}

/** The model the events make, applied in stream order: the last event sets the status, deletion is final. */
function expected() {
  const rows = new Map<string, Record<string, unknown>>();
  for (const { event: e, seq } of [...published].sort((a, b) => a.seq - b.seq)) {
    const data = e.data as { siteId: string; domain: string; siteType?: string };
    const row = rows.get(data.siteId);
    if (row?.status === 'deleted') continue;
    const status = { 'site.created': 'provisioning', 'site.provisioned': 'active', 'site.deleted': 'deleted' }[
      e.type as string
    ];
    rows.set(data.siteId, {
      siteId: data.siteId,
      tenantId: e.tenantId,
      domain: data.domain,
      siteType: data.siteType ?? row?.siteType,
      status: status ?? 'failed',
      createdAt: row?.createdAt ?? e.occurredAt,
      updatedAt: e.occurredAt,
      deletedAt: e.type === 'site.deleted' ? e.occurredAt : null,
      lastSequence: seq,
    });
  }
  return [...rows.values()].sort((a, b) => String(a.siteId).localeCompare(String(b.siteId)));
}

async function actual() {
  return (await allModelRows(h.database.db)).map((r) => ({
    ...r,
    createdAt: r.createdAt.toISOString(),
    updatedAt: r.updatedAt.toISOString(),
    deletedAt: r.deletedAt?.toISOString() ?? null,
  }));
}

async function corrupt(): Promise<void> {
  await h.database.sql`update sites set status = 'active', deleted_at = null where status = 'deleted'`;
  await h.database.sql`delete from sites where status = 'failed'`;
  await h.database.sql`update sites set site_type = null where status = 'provisioning'`;
  expect(await actual()).not.toEqual(expected());
}

const settled = async () => {
  const s = await rebuilder.status();
  return `${s.rebuild?.state} ${s.live?.pending}`;
};

describe('backup-sites projection rebuild', () => {
  it('rebuilds from the start while site events are handled live: the model equals the events', async () => {
    const later: AnyEvent[][] = [];
    const lives: AnyEvent[][] = [];
    const kinds = ['created', 'active', 'failed', 'deleted'] as const;
    for (let i = 0; i < 120; i += 1) {
      const tenant = i % 2 ? 't_ba' : 't_bb';
      const life = lifeOf(tenant, i % 3 === 0 ? 'deleted' : kinds[i % 4]!);
      // A third of the sites get their last events during the rebuild, often before the replay reaches them.
      const split = i % 3 === 0 ? 1 : life.length;
      lives.push(life.slice(0, split));
      if (split < life.length) later.push(life.slice(split));
    }
    await publish(lives);
    await expect.poll(actual, { timeout: 15_000 }).toEqual(expected());
    await corrupt();

    // The replay waits until the live listener has applied the new events over the emptied model:
    // the order where a replayed event is older than the row it meets.
    gate.closeAfter(0);
    const started = await rebuilder.start({ from: { kind: 'start' }, dryRun: false });
    expect(started.rebuild).toMatchObject({ state: 'running', total: published.length });
    for (let i = 0; i < 60; i += 1) later.push(lifeOf('t_ba', kinds[i % 4]!));
    await publish(later);
    await expect.poll(async () => (await rebuilder.status()).live?.pending, { timeout: 10_000 }).toBe(0);
    expect((await rebuilder.status()).rebuild?.position).toBe(0);
    gate.open();

    await expect.poll(settled, { timeout: 15_000 }).toBe('done 0');
    await expect.poll(actual, { timeout: 5_000 }).toEqual(expected());
    const done = (await rebuilder.status()).rebuild;
    expect(done).toMatchObject({ processed: done?.total, position: done?.target });
  });

  it('an interrupted rebuild refuses a second one, stops mid-way, resumes where it stopped and ends equal', async () => {
    await corrupt();
    gate.closeAfter(100);
    await rebuilder.start({ from: { kind: 'start' }, dryRun: false });
    await expect.poll(async () => (await rebuilder.status()).rebuild?.position, { timeout: 10_000 }).toBeGreaterThan(0);
    await expect(rebuilder.start({ from: { kind: 'start' }, dryRun: false })).rejects.toMatchObject({
      code: 'CONFLICT',
    });
    const stopping = rebuilder.stop();
    gate.open();
    await stopping;
    const stopped = (await rebuilder.status()).rebuild;
    expect(stopped?.state).toBe('running');
    expect(stopped?.position).toBeGreaterThan(0);
    expect(stopped?.position).toBeLessThan(stopped?.target ?? 0);

    await rebuilder.resume();
    await expect.poll(settled, { timeout: 15_000 }).toBe('done 0');
    expect(await actual()).toEqual(expected());
    expect((await rebuilder.status()).rebuild).toMatchObject({ id: stopped?.id, processed: stopped?.total });
  });

  it('from a sequence, replays onto the model as it is and restores what it lost after that point', async () => {
    const fromSeq = published.length + 1;
    const lives = Array.from({ length: 20 }, (_, i) => lifeOf('t_bb', i % 2 ? 'active' : 'deleted'));
    await publish(lives);
    expect(Math.min(...published.slice(-lives.flat().length).map((p) => p.seq))).toBe(fromSeq);
    await expect.poll(actual, { timeout: 10_000 }).toEqual(expected());
    // Lost since `fromSeq`: the sites those events made.
    const lost = lives.map((l) => (l[0]!.data as { siteId: string }).siteId);
    await h.database.sql`delete from sites where site_id = any(${lost}::uuid[])`;
    const kept = await actual();

    const dry = await rebuilder.start({ from: { kind: 'seq', seq: fromSeq }, dryRun: true });
    expect(dry.rebuild).toMatchObject({ state: 'done', dryRun: true, total: lives.flat().length, processed: 0 });
    expect(await actual()).toEqual(kept);
    await rebuilder.start({ from: { kind: 'seq', seq: fromSeq }, dryRun: false });
    await expect.poll(settled, { timeout: 10_000 }).toBe('done 0');
    expect(await actual()).toEqual(expected());
    expect((await rebuilder.status()).rebuild).toMatchObject({ processed: lives.flat().length });
  });
});
