import { Counter, Gauge, Histogram, type Registry } from '@chom/telemetry';

type Metric = Counter | Gauge | Histogram;

/** Gets the metric from the registry, creating it once: several listeners share one registry. */
function shared<M extends Metric>(registry: Registry, name: string, make: () => M): M {
  return (registry.getSingleMetric(name) as M | undefined) ?? make();
}

/**
 * How a delivery ended: `ok` acknowledged (handled, or a type the listener does not handle),
 * `retry` a try failed and the message comes back after the backoff, `failed` the last try
 * failed and the delivery was recorded as a failure, `dead_lettered` recorded as a failure at
 * once without retries (undecodable, unknown version, or a permanent error).
 */
export type ConsumeOutcome = 'ok' | 'retry' | 'failed' | 'dead_lettered';

export interface ListenerMetrics {
  consumed: Counter<'consumer' | 'type' | 'outcome'>;
  duration: Histogram<'consumer' | 'type'>;
  lag: Histogram<'consumer' | 'type'>;
  batch: Histogram<'consumer'>;
}

export function listenerMetrics(registry: Registry): ListenerMetrics {
  return {
    consumed: shared(
      registry,
      'chom_events_consumed_total',
      () =>
        new Counter({
          name: 'chom_events_consumed_total',
          help: 'Event deliveries settled by a listener, by outcome (ok, retry, failed, dead_lettered).',
          labelNames: ['consumer', 'type', 'outcome'],
          registers: [registry],
        }),
    ),
    duration: shared(
      registry,
      'chom_handler_duration_seconds',
      () =>
        new Histogram({
          name: 'chom_handler_duration_seconds',
          help: 'Time a listener handler took, successful or not.',
          labelNames: ['consumer', 'type'],
          buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300],
          registers: [registry],
        }),
    ),
    lag: shared(
      registry,
      'chom_event_lag_seconds',
      () =>
        new Histogram({
          name: 'chom_event_lag_seconds',
          help: 'End-to-end lag from the event occurring (occurredAt) to a listener having handled it.',
          labelNames: ['consumer', 'type'],
          buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600],
          registers: [registry],
        }),
    ),
    batch: shared(
      registry,
      'chom_consumer_batch_size',
      () =>
        new Histogram({
          name: 'chom_consumer_batch_size',
          help: 'Events per handler call of a batching listener (1: an event handled alone).',
          labelNames: ['consumer'],
          buckets: [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000],
          registers: [registry],
        }),
    ),
  };
}

type Read = () => Promise<number>;
const sources = new WeakMap<Registry, Map<string, Map<string, Read>>>();

/**
 * Registers `read` as the source of `name{consumer}`, a gauge read at scrape time. A source
 * that throws (broker or database unreachable) leaves its series out rather than report a
 * stale figure. Returns the function that removes the source.
 */
function watchPerConsumer(registry: Registry, name: string, help: string, consumer: string, read: Read): () => void {
  let byName = sources.get(registry);
  if (!byName) sources.set(registry, (byName = new Map()));
  let own = byName.get(name);
  if (!own) {
    const reads = new Map<string, Read>();
    own = reads;
    byName.set(name, reads);
    shared(
      registry,
      name,
      () =>
        new Gauge({
          name,
          help,
          labelNames: ['consumer'],
          registers: [registry],
          async collect() {
            this.reset();
            await Promise.all(
              [...reads].map(async ([label, readOne]) => {
                try {
                  this.set({ consumer: label }, await readOne());
                } catch {
                  // unreachable: no series
                }
              }),
            );
          },
        }),
    );
  }
  own.set(consumer, read);
  const reads = own;
  return () => reads.delete(consumer);
}

/** Shares one read between the gauges of one scrape (`maxAgeMs` apart at most). */
export function memoize<T>(read: () => Promise<T>, maxAgeMs = 500): () => Promise<T> {
  let last: { at: number; value: Promise<T> } | undefined;
  return () => {
    if (!last || Date.now() - last.at > maxAgeMs) {
      const value = read();
      last = { at: Date.now(), value };
      value.catch(() => (last = undefined));
    }
    return last.value;
  };
}

/**
 * Registers the queue depth of a durable consumer: `chom_consumer_pending{consumer}` (messages
 * it has yet to deliver) and `chom_consumer_ack_pending{consumer}` (delivered, not yet acked).
 */
export function watchConsumer(
  registry: Registry,
  consumer: string,
  readInfo: () => Promise<{ num_pending: number; num_ack_pending: number }>,
): () => void {
  const info = memoize(readInfo);
  const unwatch = [
    watchPerConsumer(
      registry,
      'chom_consumer_pending',
      'Messages a durable consumer has yet to deliver (num_pending): the queue depth.',
      consumer,
      async () => (await info()).num_pending,
    ),
    watchPerConsumer(
      registry,
      'chom_consumer_ack_pending',
      'Messages delivered to a durable consumer and not yet acknowledged (num_ack_pending).',
      consumer,
      async () => (await info()).num_ack_pending,
    ),
  ];
  return () => unwatch.forEach((u) => u());
}

/** Registers `chom_failures_open{consumer}`: recorded failures still in status `failed`. */
export function watchFailuresOpen(registry: Registry, consumer: string, read: Read): () => void {
  return watchPerConsumer(
    registry,
    'chom_failures_open',
    'Recorded processing failures (dead letters) still open: status failed, neither retried nor resolved.',
    consumer,
    read,
  );
}

export interface RelayMetrics {
  published: Counter<'type'>;
  failures: Counter;
  dispatch: Histogram;
  backlog: Gauge;
  oldestAge: Gauge;
}

export function relayMetrics(
  registry: Registry,
  readBacklog: () => Promise<{ pending: number; oldestAgeSeconds: number }>,
): RelayMetrics {
  const backlog = memoize(readBacklog);
  return {
    published: shared(
      registry,
      'chom_events_published_total',
      () =>
        new Counter({
          name: 'chom_events_published_total',
          help: 'Events published to JetStream from the outbox (acknowledged by the stream), by type.',
          labelNames: ['type'],
          registers: [registry],
        }),
    ),
    failures: shared(
      registry,
      'chom_outbox_publish_failures_total',
      () =>
        new Counter({
          name: 'chom_outbox_publish_failures_total',
          help: 'Outbox publishes that failed and will be retried.',
          registers: [registry],
        }),
    ),
    dispatch: shared(
      registry,
      'chom_event_dispatch_duration_seconds',
      () =>
        new Histogram({
          name: 'chom_event_dispatch_duration_seconds',
          help: 'Time from an event written to the outbox (in its transaction) to its JetStream publish ack.',
          buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
          registers: [registry],
        }),
    ),
    backlog: shared(
      registry,
      'chom_outbox_backlog',
      () =>
        new Gauge({
          name: 'chom_outbox_backlog',
          help: 'Outbox rows committed but not yet published.',
          registers: [registry],
          async collect() {
            try {
              this.set((await backlog()).pending);
            } catch {
              // the database is unreachable: keep the last figure
            }
          },
        }),
    ),
    oldestAge: shared(
      registry,
      'chom_outbox_oldest_age_seconds',
      () =>
        new Gauge({
          name: 'chom_outbox_oldest_age_seconds',
          help: 'Age of the oldest outbox row not yet published (0 when none).',
          registers: [registry],
          async collect() {
            try {
              this.set((await backlog()).oldestAgeSeconds);
            } catch {
              // the database is unreachable: keep the last figure
            }
          },
        }),
    ),
  };
}
