import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createAuditWriter, type InsertEntries } from './audit-writer.js';
import type { NewAuditLog } from './schema.js';

const entry = (eventId: string = randomUUID()) => ({ eventId }) as NewAuditLog;

/** A fake store: remembers event ids, records each call's batch, fails for ids in `bad`. */
function fakeStore(bad = new Set<string>()) {
  const stored = new Set<string>();
  const calls: string[][] = [];
  const insert: InsertEntries = async (entries) => {
    calls.push(entries.map((e) => e.eventId));
    await new Promise((r) => setTimeout(r, 5));
    if (entries.some((e) => bad.has(e.eventId))) throw new Error('row refused');
    const fresh = [...new Set(entries.map((e) => e.eventId))].filter((id) => !stored.has(id));
    fresh.forEach((id) => stored.add(id));
    return fresh;
  };
  return { insert, calls, stored };
}

describe('createAuditWriter', () => {
  it('writes a lone entry at once, and groups the entries that arrive meanwhile', async () => {
    const store = fakeStore();
    const writer = createAuditWriter(store.insert);
    const results = await Promise.all(Array.from({ length: 5 }, () => writer.write(entry())));
    expect(results).toEqual([true, true, true, true, true]);
    expect(store.calls.map((c) => c.length)).toEqual([1, 4]);
  });

  it('caps the batch size', async () => {
    const store = fakeStore();
    const writer = createAuditWriter(store.insert, { maxBatch: 2 });
    await Promise.all(Array.from({ length: 5 }, () => writer.write(entry())));
    expect(store.calls.map((c) => c.length)).toEqual([1, 2, 2]);
  });

  it('reports an event already stored, or twice in one batch, as not new', async () => {
    const store = fakeStore();
    const writer = createAuditWriter(store.insert);
    const id = randomUUID();
    expect(await writer.write(entry(id))).toBe(true);
    const again = await Promise.all([writer.write(entry()), writer.write(entry(id)), writer.write(entry(id))]);
    expect(again).toEqual([true, false, false]);
    const twice = randomUUID();
    const [first, second] = await Promise.all([
      writer.write(entry()),
      writer.write(entry(twice)),
      writer.write(entry(twice)),
    ]).then((r) => r.slice(1));
    expect([first, second]).toEqual([true, false]);
  });

  it('fails only the bad entry of a failed batch', async () => {
    const bad = randomUUID();
    const store = fakeStore(new Set([bad]));
    const writer = createAuditWriter(store.insert);
    const outcomes = await Promise.allSettled([
      writer.write(entry()),
      writer.write(entry()),
      writer.write(entry(bad)),
      writer.write(entry()),
    ]);
    expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'fulfilled', 'rejected', 'fulfilled']);
    expect(store.stored.size).toBe(3);
  });

  it('keeps working after a failure', async () => {
    const bad = randomUUID();
    const writer = createAuditWriter(fakeStore(new Set([bad])).insert);
    await expect(writer.write(entry(bad))).rejects.toThrow('row refused');
    await expect(writer.write(entry())).resolves.toBe(true);
  });
});
