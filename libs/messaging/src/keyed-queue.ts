export interface QueueEntry<T> {
  key: string;
  seq: number;
  item: T;
}

/**
 * Deliveries waiting to run, kept per key (aggregate) in stream-sequence order. A key runs
 * one entry at a time, and not at all while an earlier entry of that key is out waiting for
 * its redelivery: so one aggregate's events are handled strictly in order, across retries,
 * while different keys run side by side. Pure bookkeeping: no timers, no I/O.
 */
export class KeyedQueue<T> {
  private readonly queues = new Map<string, QueueEntry<T>[]>();
  private readonly running = new Set<string>();
  /** key -> (seq -> deadline ms): entries nak'ed and expected back before the deadline. */
  private readonly away = new Map<string, Map<number, number>>();
  private size = 0;

  /** Adds a delivery; a second delivery of a queued sequence replaces it and returns the old item. */
  push(key: string, seq: number, item: T): T | undefined {
    this.away.get(key)?.delete(seq);
    if (this.away.get(key)?.size === 0) this.away.delete(key);
    const queue = this.queues.get(key) ?? [];
    this.queues.set(key, queue);
    let at = queue.length;
    while (at > 0 && (queue[at - 1] as QueueEntry<T>).seq >= seq) at -= 1;
    const same = queue[at];
    if (same && same.seq === seq) {
      const previous = same.item;
      same.item = item;
      return previous;
    }
    queue.splice(at, 0, { key, seq, item });
    this.size += 1;
    return undefined;
  }

  /**
   * The next entry allowed to run (its key idle and nothing earlier of it away), earliest
   * sequence first; marks its key running until `finish(key)`.
   */
  take(now: number): QueueEntry<T> | undefined {
    return this.takeMany(now, 1)[0];
  }

  /**
   * Up to `max` entries allowed to run, of different keys, earliest sequences first; marks
   * each one's key running until `finish(key)`. One pass over the keys, however many it takes.
   */
  takeMany(now: number, max: number): QueueEntry<T>[] {
    let ready: QueueEntry<T>[] = [];
    for (const [key, queue] of this.queues) {
      const head = queue[0];
      if (!head || this.running.has(key) || head.seq > this.earliestAway(key, now)) continue;
      ready.push(head);
    }
    if (max === 1 && ready.length > 1) {
      // One at a time (a listener without batches, on every settled event): the earliest, no sort.
      ready = [ready.reduce((a, b) => (b.seq < a.seq ? b : a))];
    } else {
      ready.sort((a, b) => a.seq - b.seq);
      if (ready.length > max) ready.length = max;
    }
    for (const entry of ready) {
      const queue = this.queues.get(entry.key) as QueueEntry<T>[];
      queue.shift();
      if (queue.length === 0) this.queues.delete(entry.key);
      this.size -= 1;
      this.running.add(entry.key);
    }
    return ready;
  }

  finish(key: string): void {
    this.running.delete(key);
  }

  /**
   * Marks `seq` of `key` as out for redelivery: later entries of the key wait for it until it
   * comes back through `push`, or until `deadline` (it may have gone to another replica).
   */
  awaitRedelivery(key: string, seq: number, deadline: number): void {
    const away = this.away.get(key) ?? new Map<number, number>();
    away.set(seq, deadline);
    this.away.set(key, away);
  }

  /** Removes and returns every queued entry (for shutdown). */
  clear(): QueueEntry<T>[] {
    const all = [...this.queues.values()].flat();
    this.queues.clear();
    this.size = 0;
    return all;
  }

  *items(): Iterable<T> {
    for (const queue of this.queues.values()) for (const entry of queue) yield entry.item;
  }

  get queued(): number {
    return this.size;
  }

  get runningKeys(): number {
    return this.running.size;
  }

  /** Entries currently out for redelivery (expired marks are dropped as they are met). */
  awaiting(now: number): number {
    let n = 0;
    for (const key of [...this.away.keys()]) {
      this.earliestAway(key, now);
      n += this.away.get(key)?.size ?? 0;
    }
    return n;
  }

  private earliestAway(key: string, now: number): number {
    const away = this.away.get(key);
    if (!away) return Infinity;
    let earliest = Infinity;
    for (const [seq, deadline] of away) {
      if (deadline <= now) away.delete(seq);
      else if (seq < earliest) earliest = seq;
    }
    if (away.size === 0) this.away.delete(key);
    return earliest;
  }
}
