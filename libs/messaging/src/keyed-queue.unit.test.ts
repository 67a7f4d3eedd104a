import { describe, expect, it } from 'vitest';
import { KeyedQueue } from './keyed-queue.js';

function takeAll(queue: KeyedQueue<string>, now = 0): string[] {
  const taken: string[] = [];
  for (let entry = queue.take(now); entry; entry = queue.take(now)) taken.push(entry.item);
  return taken;
}

describe('KeyedQueue', () => {
  it('runs one entry per key at a time, keys side by side, earliest sequence first', () => {
    const queue = new KeyedQueue<string>();
    queue.push('a', 1, 'a1');
    queue.push('b', 2, 'b2');
    queue.push('a', 3, 'a3');
    expect(takeAll(queue)).toEqual(['a1', 'b2']);
    queue.finish('a');
    expect(takeAll(queue)).toEqual(['a3']);
    expect(queue.queued).toBe(0);
  });

  it('keeps a key in sequence order whatever the arrival order', () => {
    const queue = new KeyedQueue<string>();
    queue.push('a', 5, 'a5');
    queue.push('a', 2, 'a2');
    queue.push('a', 9, 'a9');
    const order: string[] = [];
    for (let entry = queue.take(0); entry; entry = queue.take(0)) {
      order.push(entry.item);
      queue.finish('a');
    }
    expect(order).toEqual(['a2', 'a5', 'a9']);
  });

  it('holds later entries of a key while an earlier one is away for redelivery', () => {
    const queue = new KeyedQueue<string>();
    queue.push('a', 1, 'a1');
    queue.push('a', 2, 'a2');
    queue.push('b', 3, 'b3');
    expect(queue.take(0)?.item).toBe('a1');
    queue.awaitRedelivery('a', 1, 1_000);
    queue.finish('a');
    expect(takeAll(queue, 10)).toEqual(['b3']);
    expect(queue.awaiting(10)).toBe(1);
    queue.push('a', 1, 'a1 again');
    expect(queue.take(20)?.item).toBe('a1 again');
    queue.finish('a');
    expect(queue.take(20)?.item).toBe('a2');
  });

  it('lets a key go on once the redelivery deadline has passed', () => {
    const queue = new KeyedQueue<string>();
    queue.push('a', 2, 'a2');
    queue.awaitRedelivery('a', 1, 100);
    expect(queue.take(99)).toBeUndefined();
    expect(queue.take(100)?.item).toBe('a2');
    expect(queue.awaiting(100)).toBe(0);
  });

  it('does not hold entries earlier than the one away', () => {
    const queue = new KeyedQueue<string>();
    queue.awaitRedelivery('a', 5, 100);
    queue.push('a', 3, 'a3');
    expect(queue.take(0)?.item).toBe('a3');
  });

  it('replaces a queued delivery of the same sequence and clears on shutdown', () => {
    const queue = new KeyedQueue<string>();
    queue.push('a', 1, 'first');
    expect(queue.push('a', 1, 'second')).toBe('first');
    expect(queue.queued).toBe(1);
    expect([...queue.items()]).toEqual(['second']);
    expect(queue.clear().map((e) => e.item)).toEqual(['second']);
    expect(queue.take(0)).toBeUndefined();
  });

  it('takes a batch of ready heads, one per key, earliest first, and holds their keys', () => {
    const queue = new KeyedQueue<string>();
    queue.push('c', 7, 'c7');
    queue.push('a', 1, 'a1');
    queue.push('b', 4, 'b4');
    queue.push('a', 2, 'a2');
    queue.awaitRedelivery('d', 3, 100);
    queue.push('d', 5, 'd5');
    expect(queue.takeMany(0, 2).map((e) => e.item)).toEqual(['a1', 'b4']);
    expect(queue.takeMany(0, 10).map((e) => e.item)).toEqual(['c7']);
    queue.finish('a');
    expect(queue.takeMany(0, 10).map((e) => e.item)).toEqual(['a2']);
    expect(queue.takeMany(200, 10).map((e) => e.item)).toEqual(['d5']);
  });
});
