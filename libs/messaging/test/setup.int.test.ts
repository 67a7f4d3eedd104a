import { AckPolicy, DeliverPolicy, jetstreamManager, StorageType, type JetStreamManager } from '@nats-io/jetstream';
import { nanos, type NatsConnection } from '@nats-io/nats-core';
import { connect } from '@nats-io/transport-node';
import { captureLogger } from '@chom/telemetry/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureConsumer, ensureStream, eventStreamSpec, MessagingSetupError, type ListenerSpec } from '../src/index.js';
import { createTestSpace } from '../src/testing/index.js';

const { space, cleanup } = createTestSpace();
const { logger, lines } = captureLogger('messaging-test');
let nc: NatsConnection;
let jsm: JetStreamManager;

const listener: ListenerSpec = {
  name: 'audit',
  filterSubject: `${space.events}.>`,
  maxDeliver: 3,
  backoffMs: [10, 20],
  ackWaitMs: 2_000,
  maxAckPending: 100,
  concurrency: 4,
};

beforeAll(async () => {
  nc = await connect({ servers: '127.0.0.1:4222' });
  jsm = await jetstreamManager(nc);
});

afterAll(async () => {
  await cleanup(nc);
  await nc.close();
});

describe('ensureStream', () => {
  it('creates a file-backed limits stream with the dedup window, then leaves it alone', async () => {
    const spec = eventStreamSpec(space);
    await ensureStream(jsm, spec, logger);
    const created = await jsm.streams.info(space.stream);
    expect(created.config).toMatchObject({
      subjects: [`${space.events}.>`],
      storage: 'file',
      retention: 'limits',
      duplicate_window: nanos(120_000),
      max_age: nanos(30 * 24 * 3_600_000),
    });
    await ensureStream(jsm, spec, logger);
    expect((await jsm.streams.info(space.stream)).created).toBe(created.created);
  });

  it('corrects drift in place, keeping the stored events', async () => {
    await jsm.streams.update(space.stream, {
      subjects: [`${space.events}.>`],
      max_age: nanos(60_000),
      duplicate_window: nanos(1_000),
    });
    await nc.request(`${space.events}.t_1.site.created`, new TextEncoder().encode('{}')); // a stored message
    await ensureStream(jsm, eventStreamSpec(space, { duplicateWindowMs: 5_000 }), logger);
    const info = await jsm.streams.info(space.stream);
    expect(info.config.max_age).toBe(nanos(30 * 24 * 3_600_000));
    expect(info.config.duplicate_window).toBe(nanos(5_000));
    expect(info.state.messages).toBe(1);
    expect(lines.some((l) => l.msg === 'stream configuration updated')).toBe(true);
  });

  it('refuses a stream whose storage cannot change in place', async () => {
    const other = `${space.stream}_MEM`;
    await jsm.streams.add({ name: other, subjects: [`${space.events}_mem.>`], storage: StorageType.Memory });
    try {
      await expect(
        ensureStream(jsm, { ...eventStreamSpec(space), name: other, subjects: [`${space.events}_mem.>`] }, logger),
      ).rejects.toBeInstanceOf(MessagingSetupError);
    } finally {
      await jsm.streams.delete(other);
    }
  });
});

describe('ensureConsumer', () => {
  it('creates a durable explicit-ack pull consumer, idempotently', async () => {
    await ensureConsumer(jsm, space.stream, listener, logger);
    const first = await jsm.consumers.info(space.stream, 'audit');
    expect(first.config).toMatchObject({
      durable_name: 'audit',
      ack_policy: AckPolicy.Explicit,
      deliver_policy: DeliverPolicy.All,
      filter_subject: `${space.events}.>`,
      max_deliver: 3,
      ack_wait: nanos(2_000),
      max_ack_pending: 100,
    });
    expect(first.config.deliver_subject).toBeUndefined();
    await ensureConsumer(jsm, space.stream, listener, logger);
    expect((await jsm.consumers.info(space.stream, 'audit')).created).toBe(first.created);
  });

  it('updates drifted settings in place', async () => {
    await jsm.consumers.update(space.stream, 'audit', { max_deliver: 9, max_ack_pending: 7, backoff: [nanos(1_000)] });
    const before = await jsm.consumers.info(space.stream, 'audit');
    const changed = { ...listener, filterSubject: `${space.events}.*.site.*`, ackWaitMs: 3_000 };
    await ensureConsumer(jsm, space.stream, changed, logger);
    const after = await jsm.consumers.info(space.stream, 'audit');
    expect(after.created).toBe(before.created);
    expect(after.config).toMatchObject({
      filter_subject: `${space.events}.*.site.*`,
      max_deliver: 3,
      max_ack_pending: 100,
      ack_wait: nanos(3_000),
    });
    expect(after.config.backoff).toBeUndefined();
  });

  it('recreates, from the ack floor and with a warning, what cannot be updated', async () => {
    await jsm.consumers.add(space.stream, {
      durable_name: 'pushed',
      ack_policy: AckPolicy.None,
      deliver_subject: `${space.events}_inbox`,
    });
    await ensureConsumer(jsm, space.stream, { ...listener, name: 'pushed' }, logger);
    const info = await jsm.consumers.info(space.stream, 'pushed');
    expect(info.config.ack_policy).toBe(AckPolicy.Explicit);
    expect(info.config.deliver_subject).toBeUndefined();
    expect(lines.some((l) => l.level === 'warn' && l.consumer === 'pushed')).toBe(true);
  });
});
