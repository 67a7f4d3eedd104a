import { setTimeout as sleep } from 'node:timers/promises';
import type { ConsumerMessages, JetStreamClient, JsMsg } from '@nats-io/jetstream';
import type { MsgHdrs } from '@nats-io/nats-core';
import { aggregateKey, parseEvent, type AnyEvent } from '@chom/contracts';
import type { FailureStore } from '@chom/db';
import {
  context as otelContext,
  extractTraceContext,
  isTracingEnabled,
  recordError,
  runWithContext,
  SpanKind,
  trace,
  tracer,
  withSpan,
  type Attributes,
  type Logger,
  type Registry,
  type Span,
} from '@chom/telemetry';
import { validateListenerSpec, type ListenerSpec } from './consumers.js';
import { eventContext } from './event-context.js';
import { buildFailureRecord, type Attempt } from './failure-record.js';
import { KeyedQueue } from './keyed-queue.js';
import {
  listenerMetrics,
  watchConsumer,
  watchFailuresOpen,
  type ConsumeOutcome,
  type ListenerMetrics,
} from './metrics.js';
import { backoffFor, errorCode, judgeFailure } from './retry.js';

/** What a handler may know about the delivery; no NATS types. */
export interface HandlerContext {
  consumer: string;
  deliveryCount: number;
  streamSequence: number;
  subject: string;
  headers: Record<string, string>;
}

export type EventHandler = (event: AnyEvent, ctx: HandlerContext) => Promise<void>;

export interface BatchItem {
  event: AnyEvent;
  ctx: HandlerContext;
}

/**
 * Handles several events at once, all or nothing (one database transaction): the events are
 * of different aggregates, in stream order. When it throws, the runner handles the batch's
 * events one at a time (`handle`, or a batch of one), so only the failing event is retried.
 */
export type BatchHandler = (items: readonly BatchItem[]) => Promise<void>;

export interface ListenerStats {
  running: number;
  queued: number;
  awaitingRedelivery: number;
  acked: number;
  retried: number;
  deadLettered: number;
  skipped: number;
}

export interface Listener {
  /** Stops pulling, lets running handlers finish and settle, releases what never started. */
  drain(): Promise<void>;
  /** Pulling from its consumer and not draining. */
  ready(): boolean;
  stats(): ListenerStats;
}

export interface ListenerOptions {
  js: JetStreamClient;
  stream: string;
  spec: ListenerSpec;
  /** Handles one event; optional when `handleBatch` is given (a batch of one is used). */
  handle?: EventHandler;
  /** Handles up to `spec.batchSize` events at once; see {@link BatchHandler}. */
  handleBatch?: BatchHandler;
  /** Event types this listener handles; others are acknowledged and skipped. Default: all. */
  accepts?: (type: string) => boolean;
  failures: FailureStore;
  logger: Logger;
  registry?: Registry;
}

/** Delay before a message released at shutdown is offered again (to another replica). */
const RELEASE_DELAY_MS = 250;

interface Delivery {
  msg: JsMsg;
  /** Further copies of the same stream sequence (redelivered while this one was held). */
  copies: JsMsg[];
  event: AnyEvent;
  key: string;
}

const decoder = new TextDecoder();

/**
 * Runs a listener on its durable consumer: decodes and validates each event, runs the
 * handler in the event's tenant/trace context, acks, naks with the listener's delay for the
 * try, or dead-letters (failure record, then `term`). One aggregate's events run strictly in
 * stream order, including across retries; different aggregates run concurrently.
 */
export async function startListener(options: ListenerOptions): Promise<Listener> {
  const { js, stream, spec, failures, logger, handleBatch } = options;
  validateListenerSpec(spec);
  const handle: EventHandler | undefined =
    options.handle ?? (handleBatch && ((event, ctx) => handleBatch([{ event, ctx }])));
  if (!handle) throw new Error(`${spec.name}: a listener needs handle or handleBatch`);
  const batchSize = handleBatch ? (spec.batchSize ?? 1) : 1;
  const log = logger.child({ consumer: spec.name });
  const consumer = await js.consumers.get(stream, spec.name);
  const metrics: ListenerMetrics | undefined = options.registry ? listenerMetrics(options.registry) : undefined;
  const unwatchers: (() => void)[] = [];
  if (options.registry) {
    unwatchers.push(watchConsumer(options.registry, spec.name, () => consumer.info()));
    const countOpen = failures.countOpen?.bind(failures);
    if (countOpen) unwatchers.push(watchFailuresOpen(options.registry, spec.name, () => countOpen(spec.name)));
  }

  const queue = new KeyedQueue<Delivery>();
  const running = new Map<number, Delivery>();
  let calls = 0;
  const holding = new Set<JsMsg>();
  const attempts = new Map<number, Attempt[]>();
  const sideTasks = new Set<Promise<void>>();
  const counts = { acked: 0, retried: 0, deadLettered: 0, skipped: 0 };
  let draining = false;
  let messages: ConsumerMessages | undefined;
  let idle: (() => void) | undefined;

  const count = (type: string, outcome: ConsumeOutcome) =>
    metrics?.consumed.inc({ consumer: spec.name, type, outcome });

  const heartbeat = setInterval(
    () => {
      for (const delivery of [...queue.items(), ...running.values()]) {
        delivery.msg.working();
        delivery.copies.forEach((m) => m.working());
      }
      holding.forEach((m) => m.working());
      forgetStaleAttempts();
      pump();
    },
    Math.max(Math.floor(spec.ackWaitMs / 3), 20),
  );

  // A retried delivery may come back to another replica: forget its attempts after a while.
  const attemptsTtlMs = Math.max(...spec.backoffMs) + 4 * spec.ackWaitMs + 60_000;
  function forgetStaleAttempts(): void {
    const horizon = Date.now() - attemptsTtlMs;
    for (const [seq, tries] of attempts) {
      const last = tries.at(-1);
      if (last && Date.parse(last.at) < horizon && !running.has(seq)) attempts.delete(seq);
    }
  }

  function pump(): void {
    while (!draining && calls < spec.concurrency) {
      const entries = queue.takeMany(Date.now(), batchSize);
      const [first] = entries;
      if (!first) break;
      calls += 1;
      for (const entry of entries) running.set(entry.seq, entry.item);
      if (handleBatch) metrics?.batch.observe({ consumer: spec.name }, entries.length);
      const work = entries.length === 1 ? run(first.item) : runBatch(entries.map((e) => e.item));
      void work.finally(() => {
        calls -= 1;
        for (const entry of entries) {
          running.delete(entry.seq);
          queue.finish(entry.key);
        }
        if (running.size === 0 && sideTasks.size === 0) idle?.();
        pump();
      });
    }
  }

  function receive(msg: JsMsg): void {
    if (draining) return release(msg);
    // The subject ends with the event's type (`<root>.<tenant>.<aggregate>.<action>`): a type
    // this listener has nothing to do with is acknowledged before any decoding.
    if (options.accepts && !options.accepts(typeOfSubject(msg.subject))) return skip(msg, typeOfSubject(msg.subject));
    const payload = decoder.decode(msg.data);
    let raw: unknown;
    let event: AnyEvent;
    try {
      raw = JSON.parse(payload);
      event = parseEvent(raw);
    } catch (error) {
      return track(deadLetter(msg, { payload, raw, event: undefined }, error, 'dead_lettered'));
    }
    if (options.accepts && !options.accepts(event.type)) return skip(msg, event.type);
    const inFlight = running.get(msg.seq);
    if (inFlight) {
      inFlight.copies.push(msg);
      return;
    }
    queue.push(aggregateKey(event), msg.seq, { msg, copies: [], event, key: aggregateKey(event) });
    pump();
  }

  function skip(msg: JsMsg, type: string): void {
    msg.ack();
    counts.skipped += 1;
    // Acknowledged as handled: a type this listener has nothing to do with is a success.
    count(type, 'ok');
  }

  function track(task: Promise<void>): void {
    sideTasks.add(task);
    void task.finally(() => {
      sideTasks.delete(task);
      if (running.size === 0 && sideTasks.size === 0) idle?.();
    });
  }

  /** The handler's view of a delivery; its headers are decoded only if the handler reads them. */
  function handlerContext({ msg }: Delivery): HandlerContext {
    let headers: Record<string, string> | undefined;
    return {
      consumer: spec.name,
      deliveryCount: msg.info.deliveryCount,
      streamSequence: msg.seq,
      subject: msg.subject,
      get headers() {
        return (headers ??= headersOf(msg.headers));
      },
    };
  }

  /** Acks the delivery (and its copies) and observes its lag; the caller counts it (a batch once per type). */
  function succeeded(delivery: Delivery): void {
    const { msg, event } = delivery;
    settle(delivery, (m) => m.ack());
    attempts.delete(msg.seq);
    counts.acked += 1;
    const lagMs = Date.now() - Date.parse(event.occurredAt);
    metrics?.lag.observe({ consumer: spec.name, type: event.type }, Math.max(lagMs, 0) / 1000);
  }

  async function run(delivery: Delivery): Promise<void> {
    const { msg, event } = delivery;
    const headers = headersOf(msg.headers);
    const stopTimer = metrics?.duration.startTimer({ consumer: spec.name, type: event.type });
    const span = {
      kind: SpanKind.CONSUMER,
      parent: extractTraceContext(headers),
      // With tracing off nothing would record them.
      ...(isTracingEnabled() ? { attributes: spanAttributes(delivery) } : {}),
    };
    // The handler's errors are settled here, not thrown: the span records them itself.
    await withSpan(`process ${event.type}`, span, (span) =>
      runWithContext(eventContext(event, spec.name), async () => {
        try {
          await (handle as EventHandler)(event, handlerContext(delivery));
          stopTimer?.();
          succeeded(delivery);
          count(event.type, 'ok');
        } catch (error) {
          stopTimer?.();
          recordError(span, error, { code: errorCode(error) });
          await fail(delivery, headers, error);
        }
      }),
    );
  }

  /**
   * Runs several deliveries (of different aggregates) through the batch handler at once. Each
   * keeps its own consumer span, under its own trace; the handler's own spans go under the
   * first one's. A failed batch falls back to one delivery at a time, so retries, dead letters
   * and their counts stay per event.
   */
  async function runBatch(batch: Delivery[]): Promise<void> {
    const started = performance.now();
    const items = batch.map((delivery) => ({ event: delivery.event, ctx: handlerContext(delivery) }));
    // With tracing off, no span objects and no attributes: nothing would record them.
    const spans: Span[] = isTracingEnabled()
      ? batch.map((delivery) =>
          tracer().startSpan(
            `process ${delivery.event.type}`,
            {
              kind: SpanKind.CONSUMER,
              attributes: spanAttributes(delivery),
            },
            extractTraceContext(traceHeadersOf(delivery.msg.headers)),
          ),
        )
      : [];
    const parent = spans[0] ? trace.setSpan(otelContext.active(), spans[0]) : otelContext.active();
    try {
      await otelContext.with(parent, () =>
        runWithContext({ consumer: spec.name }, () => (handleBatch as BatchHandler)(items)),
      );
    } catch (error) {
      spans.forEach((span) => span.end());
      log.debug({ err: error, size: batch.length }, 'batch failed: handling its events one at a time');
      await Promise.all(batch.map((delivery) => run(delivery)));
      return;
    }
    const seconds = (performance.now() - started) / 1000;
    const perType = new Map<string, number>();
    for (const [index, delivery] of batch.entries()) {
      const { type } = delivery.event;
      perType.set(type, (perType.get(type) ?? 0) + 1);
      metrics?.duration.observe({ consumer: spec.name, type }, seconds);
      succeeded(delivery);
      spans[index]?.end();
    }
    for (const [type, n] of perType) metrics?.consumed.inc({ consumer: spec.name, type, outcome: 'ok' }, n);
  }

  /**
   * OpenTelemetry messaging attributes of one delivery, plus the event's tenant and domain ids.
   * Each span describes one message, so no `messaging.batch.message_count` (the conventions
   * keep it for spans of a whole batch), and the event type is already in the span's name and
   * subject. Every attribute is serialised with every span, 11 per site: leaving out those two
   * and the stream's name saved the consumer about 10 µs of CPU a delivery with tracing on
   * (`bench/listener.mjs`, three alternated pairs).
   */
  function spanAttributes({ msg, event }: Delivery): Attributes {
    const attributes: Attributes = {
      'messaging.system': 'nats',
      'messaging.operation.type': 'process',
      'messaging.operation.name': 'process',
      'messaging.destination.name': msg.subject,
      'messaging.consumer.group.name': spec.name,
      'messaging.message.id': event.id,
      'messaging.nats.message.stream_sequence': msg.seq,
      'messaging.nats.message.delivery_attempt': msg.info.deliveryCount,
      'chom.tenant_id': event.tenantId,
    };
    const data = event.data as { siteId?: unknown; backupId?: unknown };
    if (typeof data.siteId === 'string') attributes['chom.site_id'] = data.siteId;
    if (typeof data.backupId === 'string') attributes['chom.backup_id'] = data.backupId;
    return attributes;
  }

  async function fail(delivery: Delivery, headers: Record<string, string>, error: unknown): Promise<void> {
    const { msg, event, key } = delivery;
    const deliveryCount = msg.info.deliveryCount;
    const tries = attempts.get(msg.seq) ?? [];
    tries.push({ at: new Date().toISOString(), error: describe(error) });
    attempts.set(msg.seq, tries);
    const verdict = judgeFailure(error, deliveryCount, spec);
    if (verdict.kind === 'retry') {
      // Later events of this aggregate wait for the redelivery, or for a deadline in case
      // it went to another replica.
      queue.awaitRedelivery(key, msg.seq, Date.now() + verdict.delayMs + 2 * spec.ackWaitMs + 1_000);
      settle(delivery, (m) => m.nak(verdict.delayMs));
      counts.retried += 1;
      count(event.type, 'retry');
      log.warn({ err: error, deliveryCount, retryInMs: verdict.delayMs, seq: msg.seq }, 'handler failed: will retry');
      return;
    }
    await deadLetter(
      msg,
      { payload: decoder.decode(msg.data), raw: undefined, event, headers },
      error,
      verdict.permanent ? 'dead_lettered' : 'failed',
      delivery.copies,
    );
  }

  async function deadLetter(
    msg: JsMsg,
    body: { payload: string; raw: unknown; event: AnyEvent | undefined; headers?: Record<string, string> },
    error: unknown,
    outcome: 'failed' | 'dead_lettered',
    copies: JsMsg[] = [],
  ): Promise<void> {
    const headers = body.headers ?? headersOf(msg.headers);
    const tries = attempts.get(msg.seq) ?? [{ at: new Date().toISOString(), error: describe(error) }];
    const record = buildFailureRecord({
      ...body,
      consumer: spec.name,
      streamSequence: msg.seq,
      headers,
      error,
      attempts: tries,
    });
    // Never term without a record: keep the lease and retry recording for as long as it fails.
    holding.add(msg);
    for (let attempt = 1; ; attempt += 1) {
      try {
        await failures.record(record);
        break;
      } catch (recordError) {
        log.error({ err: recordError, seq: msg.seq, attempt }, 'could not record a failure: retrying');
        if (draining) {
          holding.delete(msg);
          log.error({ seq: msg.seq, failure: record }, 'failure left unrecorded at shutdown: message not acknowledged');
          return;
        }
        await sleep(backoffFor(spec.backoffMs, attempt));
      }
    }
    holding.delete(msg);
    // No reason: nats-server before 2.11 ignores a `+TERM` that carries one. The record has it.
    for (const m of [msg, ...copies]) m.term();
    attempts.delete(msg.seq);
    counts.deadLettered += 1;
    count(body.event?.type ?? 'unknown', outcome);
    log.error(
      { err: error, seq: msg.seq, code: errorCode(error), deliveryCount: msg.info.deliveryCount },
      'delivery dead-lettered',
    );
  }

  function settle(delivery: Delivery, action: (m: JsMsg) => void): void {
    action(delivery.msg);
    delivery.copies.forEach(action);
  }

  function release(msg: JsMsg): void {
    msg.nak(RELEASE_DELAY_MS);
  }

  const pulling = (async () => {
    while (!draining) {
      try {
        messages = await consumer.consume({
          max_messages: Math.min(spec.maxAckPending, Math.max(2 * spec.concurrency * batchSize, 16)),
        });
        for await (const msg of messages) receive(msg);
      } catch (error) {
        log.error({ err: error }, 'consuming failed: restarting');
      }
      messages = undefined;
      if (!draining) await sleep(1_000);
    }
  })();

  log.info({ stream, filter: spec.filterSubject, concurrency: spec.concurrency, batchSize }, 'listener started');

  return {
    ready: () => !draining && messages !== undefined,
    stats: () => ({
      running: running.size,
      queued: queue.queued,
      awaitingRedelivery: queue.awaiting(Date.now()),
      ...counts,
    }),
    async drain() {
      if (draining) return;
      draining = true;
      await messages?.close();
      await pulling;
      if (running.size > 0 || sideTasks.size > 0) await new Promise<void>((resolve) => (idle = resolve));
      for (const entry of queue.clear()) settle(entry.item, release);
      clearInterval(heartbeat);
      unwatchers.forEach((unwatch) => unwatch());
      log.info({ ...counts }, 'listener drained');
    },
  };
}

function typeOfSubject(subject: string): string {
  const action = subject.lastIndexOf('.');
  const aggregate = subject.lastIndexOf('.', action - 1);
  return subject.slice(aggregate + 1);
}

/** The W3C trace context headers of a message, without copying the others. */
function traceHeadersOf(headers: MsgHdrs | undefined): { traceparent?: string; tracestate?: string } {
  if (!headers) return {};
  return { traceparent: headers.get('traceparent'), tracestate: headers.get('tracestate') };
}

function headersOf(headers: MsgHdrs | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const key of headers?.keys() ?? []) out[key] = headers?.get(key) ?? '';
  return out;
}

function describe(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}
