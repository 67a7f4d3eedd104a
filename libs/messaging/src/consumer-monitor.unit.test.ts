import { describe, expect, it } from 'vitest';
import { ackRate, catchUpSeconds, consumersOver, settledDeliveries, type ConsumerState } from './consumer-monitor.js';
import { uuidV7Time } from './event-scan.js';
import { eventFilterOf } from './event-store.js';

const counters = (floor: number, delivered: number, ackPending: number) => ({
  ack_floor: { consumer_seq: floor, stream_seq: floor * 3, last_active: 0 },
  delivered: { consumer_seq: delivered, stream_seq: delivered * 3, last_active: 0 },
  num_ack_pending: ackPending,
});

describe('settledDeliveries', () => {
  it('counts consumer sequences, not stream sequences', () => {
    // Stream sequences run 3x ahead (other subjects in between): they must not matter.
    expect(settledDeliveries(counters(10, 10, 0))).toBe(10);
  });

  it('counts acks above the floor: one long handler holding the floor does not hide the others', () => {
    expect(settledDeliveries(counters(10, 20, 1))).toBe(19);
    expect(settledDeliveries(counters(10, 20, 10))).toBe(10);
  });
});

describe('ackRate', () => {
  it('is settled deliveries per second between two samples, to one decimal', () => {
    expect(ackRate({ atMs: 1_000, settled: 100 }, { atMs: 2_000, settled: 250 })).toBe(150);
    expect(ackRate({ atMs: 0, settled: 0 }, { atMs: 1_500, settled: 1 })).toBe(0.7);
    expect(ackRate({ atMs: 0, settled: 7 }, { atMs: 250, settled: 7 })).toBe(0);
  });

  it('is null when the samples cannot be compared', () => {
    expect(ackRate({ atMs: 5, settled: 1 }, { atMs: 5, settled: 9 })).toBeNull();
    // A consumer recreated between the samples restarts its sequences.
    expect(ackRate({ atMs: 0, settled: 90 }, { atMs: 1_000, settled: 3 })).toBeNull();
  });
});

describe('catchUpSeconds', () => {
  it('is behind / rate while the rate is positive', () => {
    expect(catchUpSeconds(300, 150)).toBe(2);
    expect(catchUpSeconds(10, 3)).toBe(3.3);
  });

  it('is 0 when caught up and null when nothing moves', () => {
    expect(catchUpSeconds(0, null)).toBe(0);
    expect(catchUpSeconds(0, 0)).toBe(0);
    expect(catchUpSeconds(5, 0)).toBeNull();
    expect(catchUpSeconds(5, null)).toBeNull();
  });
});

describe('consumersOver', () => {
  it('names the consumers more than max behind', () => {
    const state = (name: string, behind: number) => ({ name, behind }) as ConsumerState;
    expect(consumersOver([state('audit', 5), state('metrics', 6), state('site', 0)], 5)).toEqual(['metrics']);
  });
});

describe('event store helpers', () => {
  it('reads the creation time of a UUID v7 and nothing from other ids', () => {
    expect(uuidV7Time('0190a6b0-0000-7000-8000-000000000000')?.toISOString()).toBe('2024-07-12T11:24:30.592Z');
    expect(uuidV7Time('6f1c2b7e-4d1a-4e8b-9a55-1f0d0c1b2a39')).toBeUndefined();
    expect(uuidV7Time('not-an-id')).toBeUndefined();
  });

  it('filters on tenant and type', () => {
    const space = { events: 'events' };
    expect(eventFilterOf(space)).toBe('events.*.*.*');
    expect(eventFilterOf(space, 't_a', 'site.created')).toBe('events.t_a.site.created');
  });
});
