import { randomUUID } from 'node:crypto';
import type { Socket } from 'node:net';
import { connect } from '@nats-io/transport-node';
import type { NatsConnection } from '@nats-io/nats-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { connectCoalescing } from '../src/coalescing-transport.js';

const SERVERS = process.env.NATS_URL ?? '127.0.0.1:4222';
const subject = `coalesce_${randomUUID().slice(0, 8)}`;
let receiver: NatsConnection;
const received: string[] = [];

beforeAll(async () => {
  receiver = await connect({ servers: SERVERS });
  receiver.subscribe(`${subject}.>`, {
    callback: (_error, msg) => {
      received.push(msg.string());
    },
  });
  await receiver.flush();
});

afterAll(async () => {
  await receiver?.close();
});

/** The socket writes (`_write` and `_writev` calls) a connection's transport makes while `run` runs. */
async function countWrites(nc: NatsConnection, run: () => Promise<void>): Promise<number> {
  const socket = (nc as unknown as { protocol: { transport: { socket: Socket } } }).protocol.transport.socket;
  let writes = 0;
  const counted = socket as unknown as Record<'_write' | '_writev', (...args: unknown[]) => unknown>;
  for (const method of ['_write', '_writev'] as const) {
    const original = counted[method].bind(socket);
    counted[method] = (...args: unknown[]) => {
      writes += 1;
      return original(...args);
    };
  }
  await run();
  return writes;
}

/** 100 publishes, each from its own timer callback of one event-loop turn (nats.js flushes after each). */
function publishFromTimers(nc: NatsConnection, tag: string): Promise<void> {
  return new Promise((resolve) => {
    for (let i = 0; i < 100; i += 1) setTimeout(() => nc.publish(`${subject}.${tag}`, `${tag}-${i}`), 0);
    setTimeout(resolve, 0);
  });
}

it('sends what one event-loop turn publishes in one write, in order', async () => {
  const nc = await connectCoalescing({ servers: SERVERS });
  try {
    const writes = await countWrites(nc, async () => {
      await publishFromTimers(nc, 'a');
      await new Promise((resolve) => setImmediate(resolve));
    });
    expect(writes).toBeLessThanOrEqual(2);
    const expected = Array.from({ length: 100 }, (_, i) => `a-${i}`);
    await expect.poll(() => received.filter((m) => m.startsWith('a-'))).toEqual(expected);
  } finally {
    await nc.close();
  }
});

it('a plain connection writes once per callback (what the transport saves)', async () => {
  const nc = await connect({ servers: SERVERS });
  try {
    const writes = await countWrites(nc, () => publishFromTimers(nc, 'b'));
    expect(writes).toBeGreaterThan(50);
  } finally {
    await nc.close();
  }
});

it('draining right after publishing still sends everything', async () => {
  // As with nats.js's own transport, `close` drops what is not flushed yet; `drain` sends it.
  const nc = await connectCoalescing({ servers: SERVERS });
  for (let i = 0; i < 20; i += 1) nc.publish(`${subject}.c`, `c-${i}`);
  await nc.drain();
  await expect.poll(() => received.filter((m) => m.startsWith('c-')).length).toBe(20);
});

it('answers requests and drains', async () => {
  const server = await connectCoalescing({ servers: SERVERS });
  const client = await connectCoalescing({ servers: SERVERS });
  server.subscribe(`${subject}.echo`, {
    callback: (_error, msg) => {
      msg.respond(`echo ${msg.string()}`);
    },
  });
  await server.flush();
  const replies = await Promise.all(
    Array.from({ length: 50 }, (_, i) => client.request(`${subject}.echo`, `r${i}`).then((m) => m.string())),
  );
  expect(replies).toEqual(Array.from({ length: 50 }, (_, i) => `echo r${i}`));
  await client.drain();
  await server.drain();
  expect([client.isClosed(), server.isClosed()]).toEqual([true, true]);
});

it('keeps coalescing after a reconnect', async () => {
  const nc = await connectCoalescing({ servers: SERVERS, reconnectTimeWait: 50 });
  try {
    const reconnected = (async () => {
      for await (const status of nc.status()) if (status.type === 'reconnect') return;
    })();
    await nc.reconnect();
    await reconnected;
    const transport = (nc as unknown as { protocol: { transport: object } }).protocol.transport;
    expect(transport.constructor.name).toBe('CoalescingTransport');
    const writes = await countWrites(nc, async () => {
      await publishFromTimers(nc, 'd');
      await new Promise((resolve) => setImmediate(resolve));
    });
    expect(writes).toBeLessThanOrEqual(2);
    await expect.poll(() => received.filter((m) => m.startsWith('d-')).length).toBe(100);
  } finally {
    await nc.close();
  }
});
