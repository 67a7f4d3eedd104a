import { randomUUID } from 'node:crypto';
import { AppError, SiteOps } from '@chom/contracts';
import { pgFailureStore } from '@chom/db';
import { traceHeaders } from '@chom/telemetry';
import { captureSpans } from '@chom/telemetry/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  endpoint,
  PermanentError,
  requestOperation,
  serveEndpoints,
  startListener,
  type EndpointServer,
  type Listener,
  type ListenerOptions,
  type ListenerSpec,
} from '../src/index.js';
import { listenerFor, openHarness, pendingOf, publishEvents, tenant, type Harness } from './support.js';

// With tracing on (spans kept in memory), what the runners record: kinds, parents, attributes, errors.
const capture = captureSpans();
let h: Harness;
const listeners: Listener[] = [];
let server: EndpointServer | undefined;

beforeAll(async () => {
  h = await openHarness('messaging_spans');
});
afterAll(async () => {
  await Promise.all(listeners.map((l) => l.drain()));
  await server?.drain();
  await h.close();
  await capture.stop();
});

/** A listener on this file's stream, drained after the file. */
async function listen(spec: ListenerSpec, handlers: Pick<ListenerOptions, 'handle' | 'handleBatch'>): Promise<void> {
  listeners.push(
    await startListener({
      js: h.js,
      stream: h.space.stream,
      spec,
      failures: pgFailureStore(h.database.sql),
      logger: h.logger,
      ...handlers,
    }),
  );
}

const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const spanNamed = (name: string, pred: (attrs: Record<string, unknown>) => boolean = () => true) =>
  capture.spans().find((s) => s.name === name && pred(s.attributes));

describe('listener spans', () => {
  it('processes each delivery in a CONSUMER span continuing the message trace; failures are errors', async () => {
    const t = tenant();
    const spec = await listenerFor(h, t, { maxDeliver: 1 });
    const seen: Record<string, string>[] = [];
    await listen(spec, {
      handle: async (event) => {
        seen.push(traceHeaders());
        if (event.type === 'site.created' && event.data.domain === 'e1.example.com')
          throw new PermanentError('SITE_GONE', 'cannot ever work');
      },
    });
    const [ok, bad] = await publishEvents(h, t, [randomUUID(), randomUUID()], {
      traceparent: `00-${TRACE}-00f067aa0ba902b7-01`,
    });
    const consumerSpan = (id: string | undefined) =>
      spanNamed('process site.created', (a) => a['messaging.message.id'] === id);
    await expect
      .poll(() => [consumerSpan(ok?.id), consumerSpan(bad?.id)].every(Boolean), { timeout: 5_000 })
      .toBe(true);

    const good = consumerSpan(ok?.id);
    expect(good?.kind).toBe(4); // SpanKind.CONSUMER in the API's enum
    expect(good?.spanContext().traceId).toBe(TRACE);
    expect(good?.parentSpanContext?.spanId).toBe('00f067aa0ba902b7');
    expect(good?.attributes).toMatchObject({
      'messaging.system': 'nats',
      'messaging.operation.type': 'process',
      'messaging.destination.name': `${h.space.events}.${t}.site.created`,
      'messaging.consumer.group.name': spec.name,
      'messaging.nats.message.delivery_attempt': 1,
      'chom.tenant_id': t,
      'chom.site_id': ok?.data.siteId,
    });
    expect(good?.status.code).toBe(0);
    // What the handler writes to its outbox continues the consumer span.
    expect(seen).toContainEqual({ traceparent: `00-${TRACE}-${good?.spanContext().spanId}-01` });

    const failed = consumerSpan(bad?.id);
    expect(failed?.status).toMatchObject({ code: 2, message: 'cannot ever work' });
    expect(failed?.attributes['error.type']).toBe('SITE_GONE');
    expect(failed?.events.map((e) => e.name)).toContain('exception');
  });
});

describe('listener spans of a batch', () => {
  it('gives each delivery of a batch its own CONSUMER span, under its own trace', async () => {
    const t = tenant();
    const spec = await listenerFor(h, t, { concurrency: 1, batchSize: 10 });
    const sizes: number[] = [];
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => (release = resolve));
    await listen(spec, {
      handleBatch: async (items) => {
        sizes.push(items.length);
        await gate; // the first call holds the runner, so the next deliveries queue up as one batch
      },
    });
    const trace = (n: number) => `${String(n).repeat(32)}`;
    const publishTraced = async (n: number) =>
      (await publishEvents(h, t, [randomUUID()], { traceparent: `00-${trace(n)}-00f067aa0ba902b7-01` }))[0];
    await publishTraced(1);
    await expect.poll(() => sizes.length, { timeout: 5_000 }).toBe(1);
    const batched = await Promise.all([2, 3, 4].map(publishTraced));
    const onClient = async () => (await h.jsm.consumers.info(h.space.stream, spec.name)).num_ack_pending;
    await expect.poll(onClient, { timeout: 5_000 }).toBe(4);
    release();
    await expect.poll(() => pendingOf(h, spec.name), { timeout: 5_000 }).toBe(0);
    expect(sizes).toEqual([1, 3]);

    for (const [index, event] of batched.entries()) {
      const span = spanNamed('process site.created', (a) => a['messaging.message.id'] === event?.id);
      expect(span?.spanContext().traceId).toBe(trace(index + 2));
      expect(span?.parentSpanContext?.spanId).toBe('00f067aa0ba902b7');
      expect(span?.attributes).toMatchObject({
        'messaging.operation.name': 'process',
        'messaging.consumer.group.name': spec.name,
        'chom.tenant_id': t,
        'chom.site_id': event?.data.siteId,
      });
      // Each span describes one message: no batch size (the conventions keep it for batch spans).
      expect(Object.keys(span?.attributes ?? {})).not.toContain('messaging.batch.message_count');
    }
  });
});

describe('request/reply spans', () => {
  it('links the CLIENT span to the SERVER span; internal errors are errors, typed ones are not', async () => {
    server = serveEndpoints(
      h.nc,
      h.space,
      [
        endpoint(SiteOps.get, async (request) => {
          if (request.siteId.endsWith('0')) throw new AppError('SITE_NOT_FOUND', 'no such site');
          throw new Error('database on fire');
        }),
      ],
      h.logger,
    );
    const ctx = { tenantId: 't_spans', actor: { id: 'u_1', type: 'user' as const }, correlationId: 'c-1' };
    const call = (siteId: string) => requestOperation(h.nc, h.space, SiteOps.get, { ctx, siteId });
    await expect(call('00000000-0000-4000-8000-000000000000')).rejects.toMatchObject({ code: 'SITE_NOT_FOUND' });
    await expect(call('00000000-0000-4000-8000-000000000001')).rejects.toMatchObject({ code: 'INTERNAL' });

    const pairs = capture
      .spans()
      .filter((s) => s.name === 'site/get' && s.kind === 2) // CLIENT
      .map((client) => ({
        client,
        server: capture
          .spans()
          .find((s) => s.kind === 1 && s.parentSpanContext?.spanId === client.spanContext().spanId), // SERVER
      }));
    expect(pairs).toHaveLength(2);
    const [notFound, internal] = pairs;
    expect(notFound?.server?.attributes).toMatchObject({ 'rpc.method': 'get', 'chom.tenant_id': 't_spans' });
    expect(notFound?.server?.attributes['error.type']).toBe('SITE_NOT_FOUND');
    expect(notFound?.server?.status.code).toBe(0);
    expect(internal?.server?.status.code).toBe(2);
    expect(internal?.client?.status.code).toBe(2);
    expect(internal?.client?.attributes['error.type']).toBe('INTERNAL');
  });
});
