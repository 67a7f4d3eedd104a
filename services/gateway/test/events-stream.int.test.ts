import { request as httpRequest, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { eventSubject, type AnyEvent, type SubjectSpace } from '@chom/contracts';
import { sampleEvent } from '@chom/contracts/testing';
import { ensureStream, eventStreamSpec } from '@chom/messaging';
import { createTestSpace } from '@chom/messaging/testing';
import { captureLogger } from '@chom/telemetry/testing';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GatewayInstance } from '../src/routes/types.js';
import { bearer, startHarness, type Harness } from './harness.js';

let h: Harness;
let app: GatewayInstance;
let base: string;
const { space: testSpace, cleanup } = createTestSpace();

beforeAll(async () => {
  h = await startHarness();
  await ensureStream(await jetstreamManager(h.nc), eventStreamSpec(testSpace), captureLogger('sse').logger);
  const space: Pick<SubjectSpace, 'services' | 'stream' | 'events'> = { ...testSpace, services: h.space.services };
  app = h.extraApp({}, space);
  await app.listen({ port: 0, host: '127.0.0.1' });
  base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await cleanup(h.nc);
  await h?.close();
});

async function publish(tenantId: string, n: number): Promise<AnyEvent[]> {
  const js = jetstream(h.nc);
  const events = Array.from({ length: n }, () => sampleEvent({ tenantId }));
  for (const e of events)
    await js.publish(eventSubject(testSpace, tenantId, e.type), JSON.stringify(e), { msgID: e.id });
  return events;
}

interface SseEvent {
  id: number;
  event: string;
  data: AnyEvent;
}

/** Opens the stream as the tenant; collects parsed SSE events until closed. */
async function connect(tenantId: string, lastEventId?: number) {
  const headers: Record<string, string> = { ...(await bearer(tenantId, 'viewer')) };
  if (lastEventId !== undefined) headers['last-event-id'] = String(lastEventId);
  const received: SseEvent[] = [];
  const res = await new Promise<IncomingMessage>((resolve, reject) => {
    const req = httpRequest(`${base}/api/v1/events/stream`, { headers }, resolve);
    req.once('error', reject);
    req.end();
  });
  let buffer = '';
  const connected = new Promise<void>((resolve) => {
    res.on('data', (chunk: Buffer) => {
      buffer += chunk.toString();
      if (buffer.includes(': connected')) resolve();
      let end: number;
      while ((end = buffer.indexOf('\n\n')) >= 0) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const fields: Record<string, string> = Object.fromEntries(
          block
            .split('\n')
            .filter((l) => !l.startsWith(':'))
            .map((l) => [l.slice(0, l.indexOf(':')), l.slice(l.indexOf(':') + 2)]),
        );
        if (fields.id)
          received.push({ id: Number(fields.id), event: fields.event ?? '', data: JSON.parse(fields.data ?? '{}') });
      }
    });
  });
  await connected;
  return { status: res.statusCode, contentType: res.headers['content-type'], received, close: () => res.destroy() };
}

describe('GET /api/v1/events/stream', () => {
  it("streams the caller's tenant's events live, none of another tenant's, and resumes with Last-Event-ID", async () => {
    const a = await connect('t_sse_a');
    expect(a.status).toBe(200);
    expect(a.contentType).toContain('text/event-stream');
    const first = await publish('t_sse_a', 3);
    await publish('t_sse_b', 3);
    const more = await publish('t_sse_a', 2);
    await expect.poll(() => a.received.length, { timeout: 5_000 }).toBe(5);
    expect(a.received.map((e) => e.data.id)).toEqual([...first, ...more].map((e) => e.id));
    expect(a.received.every((e) => e.data.tenantId === 't_sse_a' && e.event === 'site.created')).toBe(true);

    // Disconnect after the third event; events published meanwhile come on reconnect, no gap, no repeat.
    a.close();
    const lastSeen = a.received[2]?.id ?? 0;
    const missed = await publish('t_sse_a', 2);
    await publish('t_sse_b', 1);
    const resumed = await connect('t_sse_a', lastSeen);
    await expect.poll(() => resumed.received.length, { timeout: 5_000 }).toBe(4);
    expect(resumed.received.map((e) => e.data.id)).toEqual([...more, ...missed].map((e) => e.id));
    expect(resumed.received.every((e) => e.id > lastSeen)).toBe(true);
    resumed.close();
  });

  it('needs a token', async () => {
    const response = await app.inject({ method: 'GET', url: '/api/v1/events/stream' });
    expect(response.statusCode).toBe(401);
  });
});
