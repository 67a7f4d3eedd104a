import { describe, expect, it } from 'vitest';
import { groupCommit } from './group-commit.js';

/** A batch runner that records each batch, takes a few ms, and fails a batch holding a negative item. */
function recorder() {
  const batches: number[][] = [];
  const run = async (items: number[]) => {
    batches.push(items);
    await new Promise((r) => setTimeout(r, 5));
    if (items.some((i) => i < 0)) throw new Error('refused');
    return items.map((i) => i * 10);
  };
  return { run, batches };
}

describe('groupCommit', () => {
  it('runs a lone call at once, groups the calls that arrive meanwhile, and answers each with its own result', async () => {
    const r = recorder();
    const call = groupCommit(r.run);
    expect(await Promise.all([1, 2, 3, 4].map(call))).toEqual([10, 20, 30, 40]);
    expect(r.batches).toEqual([[1], [2, 3, 4]]);
  });

  it('caps the batch size', async () => {
    const r = recorder();
    const call = groupCommit(r.run, { maxBatch: 2 });
    await Promise.all([1, 2, 3, 4, 5].map(call));
    expect(r.batches).toEqual([[1], [2, 3], [4, 5]]);
  });

  it('runs a failed batch again one item at a time, so only the bad item fails', async () => {
    const r = recorder();
    const call = groupCommit(r.run);
    const outcomes = await Promise.allSettled([1, 2, -3, 4].map(call));
    expect(outcomes.map((o) => (o.status === 'fulfilled' ? o.value : 'failed'))).toEqual([10, 20, 'failed', 40]);
    expect(r.batches).toEqual([[1], [2, -3, 4], [2], [-3], [4]]);
  });

  it('fails every call of a batch whose runner answers with the wrong number of results', async () => {
    const call = groupCommit(async (items: number[]) => items.slice(1));
    await expect(call(1)).rejects.toThrow('a batch of 1 returned 0 results');
  });

  it('keeps going after a failure', async () => {
    const r = recorder();
    const call = groupCommit(r.run);
    await expect(call(-1)).rejects.toThrow('refused');
    expect(await call(7)).toBe(70);
  });
});
