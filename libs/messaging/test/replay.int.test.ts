import { randomUUID } from 'node:crypto';
import {
  BackupCreated,
  createEvent,
  eventFilter,
  eventSubject,
  SiteDeleted,
  SiteProvisioned,
  type AnyEvent,
} from '@chom/contracts';
import { sampleEvent } from '@chom/contracts/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { planReplay, replayStream } from '../src/index.js';
import { openHarness, type Harness } from './support.js';

// A stream of site and backup events; the replay follows the site events alone.
let h: Harness;
const seqs = new Map<string, number>();
let middle = '';

const ctx = { tenantId: 't_r', actor: { id: 'u', type: 'user' as const }, source: 'test', correlationId: 'c' };

async function publish(events: AnyEvent[]): Promise<void> {
  for (const e of events) {
    const ack = await h.js.publish(eventSubject(h.space, e.tenantId, e.type), JSON.stringify(e), { msgID: e.id });
    seqs.set(e.id, ack.seq);
  }
}

/** One site's three events, each followed by a backup event the filter leaves out. */
function siteWithBackups(): AnyEvent[] {
  const created = sampleEvent({ tenantId: 't_r' });
  const { siteId, domain } = created.data;
  const backup = () => createEvent(BackupCreated, ctx, { backupId: randomUUID(), siteId, backupType: 'full' });
  return [
    created,
    backup(),
    createEvent(SiteProvisioned, ctx, { siteId, domain, vpsId: 'v', durationSeconds: 1 }),
    backup(),
    createEvent(SiteDeleted, ctx, { siteId, tenantId: 't_r', domain }),
    backup(),
  ];
}

const sites = Array.from({ length: 8 }, siteWithBackups);

beforeAll(async () => {
  h = await openHarness('replay');
  await publish(sites.slice(0, 4).flat());
  // A whole millisecond past the first half's stream times, so the time start falls between the halves.
  const last = Date.now();
  while (Date.now() <= last + 1) await new Promise((resolve) => setImmediate(resolve));
  middle = new Date().toISOString();
  await publish(sites.slice(4).flat());
});
afterAll(async () => {
  await h?.close();
});

const siteFilter = () => eventFilter(h.space, 'site');

describe('planReplay', () => {
  it('counts the matching events from the start, a sequence or a time, up to the last sequence now', async () => {
    expect(await planReplay(h.js, h.jsm, h.space.stream, siteFilter(), { kind: 'start' })).toEqual({
      target: 48,
      total: 24,
    });
    expect(await planReplay(h.js, h.jsm, h.space.stream, siteFilter(), { kind: 'seq', seq: 26 })).toEqual({
      target: 48,
      total: 11,
    });
    expect(await planReplay(h.js, h.jsm, h.space.stream, siteFilter(), { kind: 'time', time: middle })).toEqual({
      target: 48,
      total: 12,
    });
    expect(await planReplay(h.js, h.jsm, h.space.stream, siteFilter(), { kind: 'seq', seq: 100 })).toEqual({
      target: 48,
      total: 0,
    });
  });
});

describe('replayStream', () => {
  it('handles the matching events up to the target, one aggregate in stream order, and checkpoints each batch', async () => {
    const handled: { id: string; seq: number; siteId: string }[] = [];
    const checkpoints: number[] = [];
    await publish(siteWithBackups()); // after the target: the live listener's, not the replay's
    const progress = await replayStream({
      js: h.js,
      jsm: h.jsm,
      stream: h.space.stream,
      filter: siteFilter(),
      from: { kind: 'start' },
      target: 48,
      batch: 5,
      handle: async (event, seq) => {
        // Later events of a batch finish first unless the replay keeps one site's events in order.
        await new Promise((resolve) => setTimeout(resolve, (50 - (seq % 50)) / 10));
        handled.push({ id: event.id, seq, siteId: (event.data as { siteId: string }).siteId });
      },
      onProgress: (p) => void checkpoints.push(p.position),
    });
    expect(progress).toEqual({ position: 47, target: 48, processed: 24 });
    expect(handled.map((e) => e.id).sort()).toEqual(
      sites
        .flat()
        .filter((e) => e.type.startsWith('site.'))
        .map((e) => e.id)
        .sort(),
    );
    for (const site of sites) {
      const siteId = (site[0]!.data as { siteId: string }).siteId;
      const order = handled.filter((e) => e.siteId === siteId).map((e) => e.seq);
      expect(order).toEqual([...order].sort((a, b) => a - b));
    }
    expect(checkpoints).toHaveLength(5);
    expect(checkpoints.at(-1)).toBe(47);
    expect(checkpoints).toEqual([...checkpoints].sort((a, b) => a - b));
  });

  it('stops after the batch under way when aborted', async () => {
    const abort = new AbortController();
    let handled = 0;
    const progress = await replayStream({
      js: h.js,
      jsm: h.jsm,
      stream: h.space.stream,
      filter: siteFilter(),
      from: { kind: 'seq', seq: 1 },
      batch: 4,
      signal: abort.signal,
      handle: async () => {
        handled += 1;
        if (handled === 6) abort.abort();
      },
    });
    expect(progress.processed).toBe(8);
    expect(handled).toBe(8);
    expect(progress.position).toBe(seqs.get(sites[2]![2]!.id));
  });
});
