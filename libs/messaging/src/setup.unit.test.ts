import { AckPolicy, DeliverPolicy, ReplayPolicy, type ConsumerConfig } from '@nats-io/jetstream';
import { describe, expect, it } from 'vitest';
import { consumerDrift, validateListenerSpec, type ListenerSpec } from './consumers.js';
import { eventStreamSpec } from './streams.js';
import { traceIdOf } from './failure-record.js';

const spec: ListenerSpec = {
  name: 'audit',
  filterSubject: 'events.>',
  maxDeliver: 3,
  backoffMs: [60_000],
  ackWaitMs: 30_000,
  maxAckPending: 1000,
  concurrency: 8,
};

const matching: ConsumerConfig = {
  durable_name: 'audit',
  ack_policy: AckPolicy.Explicit,
  deliver_policy: DeliverPolicy.All,
  replay_policy: ReplayPolicy.Instant,
  filter_subject: 'events.>',
  max_deliver: 3,
  ack_wait: 30_000_000_000,
  max_ack_pending: 1000,
};

describe('eventStreamSpec', () => {
  it('defaults to 30 days, a 2 minute dedup window and no size cap', () => {
    expect(eventStreamSpec({ stream: 'EVENTS', events: 'events', services: 'svc' })).toEqual({
      name: 'EVENTS',
      subjects: ['events.>'],
      maxAgeMs: 30 * 24 * 3_600_000,
      maxBytes: -1,
      duplicateWindowMs: 120_000,
    });
  });
});

describe('consumerDrift', () => {
  it('sees nothing when the consumer matches', () => {
    expect(consumerDrift(matching, spec)).toEqual({ update: [], recreate: [] });
  });

  it('updates in place what nats-server 2.9 can change', () => {
    const drifted = { ...matching, max_deliver: 5, ack_wait: 1, filter_subject: 'events.*.site.*', backoff: [1] };
    expect(consumerDrift(drifted, spec).update).toEqual(['filter_subject', 'max_deliver', 'ack_wait', 'backoff']);
  });

  it('recreates only for what cannot change in place', () => {
    expect(consumerDrift({ ...matching, ack_policy: AckPolicy.None }, spec).recreate).toEqual(['ack_policy']);
    expect(consumerDrift({ ...matching, deliver_subject: 'x' }, spec).recreate).toHaveLength(1);
    expect(consumerDrift({ ...matching, deliver_policy: DeliverPolicy.StartSequence }, spec)).toEqual({
      update: [],
      recreate: [],
    });
  });
});

describe('validateListenerSpec', () => {
  it('refuses unbounded or empty retry policies', () => {
    expect(() => validateListenerSpec({ ...spec, maxDeliver: -1 })).toThrow();
    expect(() => validateListenerSpec({ ...spec, maxDeliver: Infinity })).toThrow();
    expect(() => validateListenerSpec({ ...spec, backoffMs: [] })).toThrow();
    expect(() => validateListenerSpec(spec)).not.toThrow();
  });
});

describe('traceIdOf', () => {
  it('reads the trace id of a traceparent', () => {
    expect(traceIdOf('00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01')).toBe(
      '4bf92f3577b34da6a3ce929d0e0e4736',
    );
    expect(traceIdOf('garbage')).toBeNull();
    expect(traceIdOf(undefined)).toBeNull();
  });
});
